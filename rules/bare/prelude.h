/*
 * mmlint bare-mode prelude: mmlint's own declarations of the kernel types and
 * mm APIs its rules look at, force-included when a file is parsed without a
 * kernel tree or a compile database. Shapes follow the kernel's public API;
 * bodies and layouts are mmlint's and only as deep as an analysis needs.
 * Both huge_fault signatures exist in the wild; the later (v6.6+) one is
 * declared here, and a handler written against the earlier one still parses.
 */
#ifndef MMLINT_BARE_PRELUDE_H
#define MMLINT_BARE_PRELUDE_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;
typedef short s16;
typedef int s32;
typedef long long s64;
typedef unsigned long size_t;
typedef long ssize_t;
typedef long loff_t;
typedef unsigned long phys_addr_t;
typedef unsigned long resource_size_t;
typedef unsigned int gfp_t;
typedef _Bool bool;
enum { false = 0, true = 1 };
#define NULL ((void *)0)

#define __iomem
#define __user
#define __rcu
#define __bitwise
#define __force
#define __init
#define __exit
#define __always_inline inline
#define noinline
#define likely(x) (x)
#define unlikely(x) (x)
#define READ_ONCE(x) (x)
#define WRITE_ONCE(x, v) ((x) = (v))
#define EXPORT_SYMBOL(sym) extern int __mmlint_export_##sym
#define EXPORT_SYMBOL_GPL(sym) extern int __mmlint_export_##sym
#define MODULE_LICENSE(x) extern int __mmlint_module_license
#define MODULE_DESCRIPTION(x) extern int __mmlint_module_description
#define module_init(fn) extern int __mmlint_module_init
#define module_exit(fn) extern int __mmlint_module_exit
#define offsetof(t, m) __builtin_offsetof(t, m)
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BUG_ON(c) do { if (c) __builtin_trap(); } while (0)
#define WARN_ON(c) (c)
#define WARN_ON_ONCE(c) (c)
#define IS_ENABLED(option) 0
#define min(a, b) ((a) < (b) ? (a) : (b))
#define max(a, b) ((a) > (b) ? (a) : (b))

#define EINVAL 22
#define ENOMEM 12
#define EFAULT 14
#define EAGAIN 11
#define ENODEV 19
#define EIO 5
#define EBUSY 16
#define EPERM 1

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define PFN_DOWN(x) ((x) >> PAGE_SHIFT)
#define PFN_PHYS(x) ((phys_addr_t)(x) << PAGE_SHIFT)
#define PHYS_PFN(x) ((unsigned long)((x) >> PAGE_SHIFT))

long PTR_ERR(const void *ptr);
bool IS_ERR(const void *ptr);
void *ERR_PTR(long error);
#define ENOSPC 28
#define ERESTARTSYS 512
#define EHWPOISON 133

int printk(const char *fmt, ...);
#define pr_err(fmt, ...) printk(fmt, ##__VA_ARGS__)
#define pr_warn(fmt, ...) printk(fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...) printk(fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) printk(fmt, ##__VA_ARGS__)
struct device;
int dev_err(const struct device *dev, const char *fmt, ...);
int dev_warn(const struct device *dev, const char *fmt, ...);
int dev_info(const struct device *dev, const char *fmt, ...);
int dev_dbg(const struct device *dev, const char *fmt, ...);

void *kmalloc(size_t size, gfp_t flags);
void *kzalloc(size_t size, gfp_t flags);
void kfree(const void *p);
void *vmalloc_user(unsigned long size);
void vfree(const void *p);
#define GFP_KERNEL 0x0cc0u

/* Locking */
typedef struct { int rawlock; } spinlock_t;
struct mutex { int owner; };
struct rw_semaphore { long count; };
void mutex_lock(struct mutex *lock);
void mutex_unlock(struct mutex *lock);
int mutex_trylock(struct mutex *lock);
void down_read(struct rw_semaphore *sem);
int down_read_trylock(struct rw_semaphore *sem);
void up_read(struct rw_semaphore *sem);
void down_write(struct rw_semaphore *sem);
void up_write(struct rw_semaphore *sem);
int down_read_killable(struct rw_semaphore *sem);
int down_write_killable(struct rw_semaphore *sem);
void downgrade_write(struct rw_semaphore *sem);
void spin_lock(spinlock_t *lock);
void spin_unlock(spinlock_t *lock);

/* Page-table and protection types */
typedef struct { unsigned long pgprot; } pgprot_t;
typedef struct { unsigned long pte; } pte_t;
typedef struct { unsigned long pmd; } pmd_t;
typedef struct { unsigned long pud; } pud_t;
typedef struct { u64 val; } pfn_t;
typedef unsigned long vm_flags_t;
pgprot_t pgprot_noncached(pgprot_t prot);
pgprot_t pgprot_writecombine(pgprot_t prot);
pgprot_t pgprot_decrypted(pgprot_t prot);
pgprot_t vm_get_page_prot(unsigned long vm_flags);
unsigned long pte_pfn(pte_t pte);
pte_t ptep_get(pte_t *ptep);
void pte_unmap_unlock(pte_t *ptep, spinlock_t *ptl);
pfn_t __pfn_to_pfn_t(unsigned long pfn, u64 flags);
#define PFN_DEV (1ULL << 61)
#define PFN_MAP (1ULL << 59)

#define VM_READ 0x00000001UL
#define VM_WRITE 0x00000002UL
#define VM_EXEC 0x00000004UL
#define VM_SHARED 0x00000008UL
#define VM_MAYWRITE 0x00000020UL
#define VM_IO 0x00004000UL
#define VM_DONTCOPY 0x00020000UL
#define VM_DONTEXPAND 0x00040000UL
#define VM_NORESERVE 0x00200000UL
#define VM_PFNMAP 0x00000400UL
#define VM_MIXEDMAP 0x10000000UL
#define VM_DONTDUMP 0x04000000UL

struct page;
struct file;
struct inode;
struct address_space;
struct mm_struct { struct rw_semaphore mmap_lock; };
struct vm_area_struct;
struct vm_fault;

/* vm_fault_t: a __bitwise type in the kernel precisely so that errnos do not slip in. */
typedef unsigned int __bitwise vm_fault_t;
enum vm_fault_reason {
	VM_FAULT_OOM = 0x000001,
	VM_FAULT_SIGBUS = 0x000002,
	VM_FAULT_MAJOR = 0x000004,
	VM_FAULT_HWPOISON = 0x000010,
	VM_FAULT_SIGSEGV = 0x000040,
	VM_FAULT_NOPAGE = 0x000100,
	VM_FAULT_LOCKED = 0x000200,
	VM_FAULT_RETRY = 0x000400,
	VM_FAULT_FALLBACK = 0x000800,
	VM_FAULT_DONE_COW = 0x001000,
	VM_FAULT_NEEDDSYNC = 0x002000,
	VM_FAULT_COMPLETED = 0x004000,
};
#define VM_FAULT_ERROR (VM_FAULT_OOM | VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV | VM_FAULT_HWPOISON | \
			VM_FAULT_FALLBACK)

/* The earlier huge_fault size argument (until v6.6). */
enum page_entry_size { PE_SIZE_PTE = 0, PE_SIZE_PMD, PE_SIZE_PUD };

struct vm_operations_struct {
	void (*open)(struct vm_area_struct *area);
	void (*close)(struct vm_area_struct *area);
	int (*may_split)(struct vm_area_struct *area, unsigned long addr);
	int (*mremap)(struct vm_area_struct *area);
	int (*mprotect)(struct vm_area_struct *vma, unsigned long start, unsigned long end,
			unsigned long newflags);
	vm_fault_t (*fault)(struct vm_fault *vmf);
	vm_fault_t (*huge_fault)(struct vm_fault *vmf, unsigned int order);
	vm_fault_t (*map_pages)(struct vm_fault *vmf, unsigned long start_pgoff, unsigned long end_pgoff);
	unsigned long (*pagesize)(struct vm_area_struct *area);
	vm_fault_t (*page_mkwrite)(struct vm_fault *vmf);
	vm_fault_t (*pfn_mkwrite)(struct vm_fault *vmf);
	int (*access)(struct vm_area_struct *vma, unsigned long addr, void *buf, int len, int write);
	const char *(*name)(struct vm_area_struct *vma);
};

struct vm_area_struct {
	unsigned long vm_start;
	unsigned long vm_end;
	struct mm_struct *vm_mm;
	pgprot_t vm_page_prot;
	unsigned long vm_flags;
	unsigned long vm_pgoff;
	struct file *vm_file;
	void *vm_private_data;
	const struct vm_operations_struct *vm_ops;
};

struct vm_fault {
	struct vm_area_struct *vma;
	gfp_t gfp_mask;
	unsigned long pgoff;
	unsigned long address;
	unsigned long real_address;
	unsigned int flags;
	pmd_t *pmd;
	pud_t *pud;
	pte_t orig_pte;
	struct page *cow_page;
	struct page *page;
	pte_t *pte;
	spinlock_t *ptl;
};

#define FAULT_FLAG_WRITE 0x01
#define FAULT_FLAG_ALLOW_RETRY 0x04
#define FAULT_FLAG_RETRY_NOWAIT 0x08
#define FAULT_FLAG_TRIED 0x20
#define FAULT_FLAG_VMA_LOCK 0x1000
static inline bool fault_flag_allow_retry_first(unsigned int flags)
{
	return (flags & FAULT_FLAG_ALLOW_RETRY) && !(flags & FAULT_FLAG_TRIED);
}
void vma_end_read(struct vm_area_struct *vma);
void mmap_read_unlock(struct mm_struct *mm);
/* v6.5+: gives up whichever lock the fault holds (the per-VMA lock or mmap_lock). */
static inline void release_fault_lock(struct vm_fault *vmf)
{
	if (vmf->flags & FAULT_FLAG_VMA_LOCK)
		vma_end_read(vmf->vma);
	else
		mmap_read_unlock(vmf->vma->vm_mm);
}

struct vm_special_mapping {
	const char *name;
	struct page **pages;
	vm_fault_t (*fault)(const struct vm_special_mapping *sm, struct vm_area_struct *vma,
			    struct vm_fault *vmf);
	int (*mremap)(const struct vm_special_mapping *sm, struct vm_area_struct *new_vma);
};

/* Range mapping: mmap time only. */
int remap_pfn_range(struct vm_area_struct *vma, unsigned long addr, unsigned long pfn,
		    unsigned long size, pgprot_t prot);
int remap_pfn_range_notrack(struct vm_area_struct *vma, unsigned long addr, unsigned long pfn,
			    unsigned long size, pgprot_t prot);
int io_remap_pfn_range(struct vm_area_struct *vma, unsigned long addr, unsigned long pfn,
		       unsigned long size, pgprot_t prot);
int remap_vmalloc_range(struct vm_area_struct *vma, void *addr, unsigned long pgoff);
int remap_vmalloc_range_partial(struct vm_area_struct *vma, unsigned long uaddr, void *kaddr,
				unsigned long pgoff, unsigned long size);
int vm_iomap_memory(struct vm_area_struct *vma, phys_addr_t start, unsigned long len);
struct io_mapping;
int io_mapping_map_user(struct io_mapping *iomap, struct vm_area_struct *vma, unsigned long addr,
			unsigned long pfn, unsigned long size);
int vm_map_pages(struct vm_area_struct *vma, struct page **pages, unsigned long num);
int vm_map_pages_zero(struct vm_area_struct *vma, struct page **pages, unsigned long num);
int vm_insert_page(struct vm_area_struct *vma, unsigned long addr, struct page *page);
int vm_insert_pages(struct vm_area_struct *vma, unsigned long addr, struct page **pages,
		    unsigned long *num);
void zap_vma_ptes(struct vm_area_struct *vma, unsigned long address, unsigned long size);

/* The fault-time API: one address at a time. */
vm_fault_t vmf_insert_pfn(struct vm_area_struct *vma, unsigned long addr, unsigned long pfn);
vm_fault_t vmf_insert_pfn_prot(struct vm_area_struct *vma, unsigned long addr, unsigned long pfn,
			       pgprot_t pgprot);
vm_fault_t vmf_insert_mixed(struct vm_area_struct *vma, unsigned long addr, pfn_t pfn);
vm_fault_t vmf_insert_mixed_mkwrite(struct vm_area_struct *vma, unsigned long addr, pfn_t pfn);
vm_fault_t vmf_insert_page(struct vm_area_struct *vma, unsigned long addr, struct page *page);
vm_fault_t vmf_insert_pfn_pmd(struct vm_fault *vmf, pfn_t pfn, bool write);
vm_fault_t vmf_insert_pfn_pud(struct vm_fault *vmf, pfn_t pfn, bool write);
vm_fault_t vmf_error(int err);
vm_fault_t filemap_fault(struct vm_fault *vmf);

/* Page-table lookups. */
int follow_pfn(struct vm_area_struct *vma, unsigned long address, unsigned long *pfn);
int follow_pte(struct mm_struct *mm, unsigned long address, pte_t **ptepp, spinlock_t **ptlp);
struct follow_pfnmap_args {
	struct vm_area_struct *vma;
	unsigned long address;
	spinlock_t *lock;
	pte_t *ptep;
	unsigned long pfn;
	pgprot_t pgprot;
	bool writable;
	bool special;
};
int follow_pfnmap_start(struct follow_pfnmap_args *args);
void follow_pfnmap_end(struct follow_pfnmap_args *args);

/* The mmap lock. */
void mmap_read_lock(struct mm_struct *mm);
int mmap_read_trylock(struct mm_struct *mm);
void mmap_read_unlock(struct mm_struct *mm);
void mmap_write_lock(struct mm_struct *mm);
void mmap_write_unlock(struct mm_struct *mm);
void mmap_write_downgrade(struct mm_struct *mm);
int mmap_read_lock_killable(struct mm_struct *mm);
int mmap_write_lock_killable(struct mm_struct *mm);
void mmap_read_unlock_non_owner(struct mm_struct *mm);
void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags);
void vm_flags_clear(struct vm_area_struct *vma, vm_flags_t flags);
void vm_flags_mod(struct vm_area_struct *vma, vm_flags_t set, vm_flags_t clear);
void vm_flags_init(struct vm_area_struct *vma, vm_flags_t flags);
void vm_flags_reset(struct vm_area_struct *vma, vm_flags_t flags);
struct vm_area_struct *vm_area_alloc(struct mm_struct *mm);

/* Files and pages. */
struct file_operations {
	int (*open)(struct inode *inode, struct file *file);
	int (*release)(struct inode *inode, struct file *file);
	int (*mmap)(struct file *file, struct vm_area_struct *vma);
	long (*unlocked_ioctl)(struct file *file, unsigned int cmd, unsigned long arg);
};
struct file { void *private_data; struct address_space *f_mapping; };
struct page *alloc_page(gfp_t gfp);
struct page *vmalloc_to_page(const void *addr);
unsigned long page_to_pfn(const struct page *page);
struct page *pfn_to_page(unsigned long pfn);
void get_page(struct page *page);
void put_page(struct page *page);
void *page_address(const struct page *page);
unsigned long virt_to_phys(volatile void *address);
void unmap_mapping_range(struct address_space *mapping, loff_t const holebegin,
			 loff_t const holelen, int even_cows);

/* PCI, for driver-shaped fixtures. */
struct pci_dev;
resource_size_t pci_resource_start(struct pci_dev *pdev, int bar);
resource_size_t pci_resource_len(struct pci_dev *pdev, int bar);


/*
 * The kernel idioms driver code is written in, so that a real driver file
 * parsed without its tree keeps its function bodies. Each is mmlint's own
 * reduction of the API: the shape a parse needs (a loop is a loop, a lock
 * call is a call), not the kernel's implementation.
 */
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef unsigned char __u8;
typedef int __s32;
typedef long long __s64;
typedef __u16 __le16;
typedef __u32 __le32;
typedef __u64 __le64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u64 __be64;
typedef long __kernel_long_t;
typedef u64 dma_addr_t;
typedef unsigned long uintptr_t;
typedef long intptr_t;
typedef int pid_t;
typedef unsigned int uid_t;
typedef unsigned short umode_t;
typedef unsigned int fmode_t;
typedef u32 dev_t;
typedef long long time64_t;
typedef s64 ktime_t;
typedef int irqreturn_t;
typedef unsigned int slab_flags_t;
typedef struct { int counter; } atomic_t;
typedef struct { long counter; } atomic64_t;
typedef atomic64_t atomic_long_t;
typedef struct { atomic_t refs; } refcount_t;
struct kref { refcount_t refcount; };
typedef struct { u8 b[16]; } uuid_t;
typedef struct { u8 b[16]; } guid_t;
typedef struct { unsigned long bits[1]; } cpumask_t;
typedef struct { int raw; } rwlock_t;
typedef struct { int raw; } raw_spinlock_t;
typedef struct { unsigned sequence; } seqcount_t;
typedef struct { unsigned sequence; } seqlock_t;
typedef struct { int unused; } wait_queue_head_t;
typedef struct { int unused; } wait_queue_entry_t;
struct completion { unsigned int done; wait_queue_head_t wait; };
typedef int pci_power_t;
typedef unsigned int pci_ers_result_t;
typedef int suspend_state_t;

#define __must_check
#define __maybe_unused
#define __always_unused
#define __used
#define __cold
#define __hot
#define __weak
#define __pure
#define __packed
#define __aligned(x)
#define __printf(a, b)
#define __scanf(a, b)
#define __section(s)
#define __read_mostly
#define __ro_after_init
#define __initdata
#define __initconst
#define __exitdata
#define __devinit
#define __devexit
#define __ref
#define __visible
#define __percpu
#define __private
#define __sched
#define __nocast
#define __safe
#define __noreturn
#define __counted_by(m)
#define __nonstring
#define __randomize_layout
#define __acquires(x)
#define __releases(x)
#define __acquire(x) ((void)0)
#define __release(x) ((void)0)
#define __must_hold(x)
#define __cond_lock(x, c) (c)
#define __free(f)
#define __cleanup(f)
#define __stringify(x) #x
#define asmlinkage
#define notrace
#define noinline_for_stack
#define __always_inline inline
#define __noinline
#define fallthrough do { } while (0)
#define __bf_shf(x) (__builtin_ffsll(x) - 1)
#define barrier() ((void)0)
#define smp_mb() ((void)0)
#define smp_rmb() ((void)0)
#define smp_wmb() ((void)0)
#define mb() ((void)0)
#define rmb() ((void)0)
#define wmb() ((void)0)
#define typecheck(type, x) 1
#define BUILD_BUG_ON(c) ((void)sizeof(char[1 - 2 * !!(c)]))
#define BUILD_BUG_ON_MSG(c, msg) ((void)0)
#define static_assert(expr, ...) _Static_assert(expr, "")
#define __is_constexpr(x) 0

#define KBUILD_MODNAME "mmlint"
#define KBUILD_BASENAME "mmlint"
#define THIS_MODULE ((struct module *)0)
struct module;
#define MODULE_AUTHOR(x) extern int __mmlint_module_author
#define MODULE_VERSION(x) extern int __mmlint_module_version
#define MODULE_ALIAS(x) extern int __mmlint_module_alias
#define MODULE_FIRMWARE(x) extern int __mmlint_module_firmware
#define MODULE_DEVICE_TABLE(type, name) extern int __mmlint_module_device_table
#define MODULE_IMPORT_NS(ns) extern int __mmlint_module_import_ns
#define MODULE_PARM_DESC(name, desc) extern int __mmlint_module_parm_desc
#define module_param(name, type, perm) extern int __mmlint_module_param
#define module_param_named(name, value, type, perm) extern int __mmlint_module_param
#define module_driver(drv, reg, unreg, ...) extern int __mmlint_module_driver
#define module_pci_driver(drv) extern int __mmlint_module_driver
#define module_platform_driver(drv) extern int __mmlint_module_driver
#define module_misc_device(dev) extern int __mmlint_module_driver
#define late_initcall(fn) extern int __mmlint_initcall
#define subsys_initcall(fn) extern int __mmlint_initcall
#define device_initcall(fn) extern int __mmlint_initcall
#define core_initcall(fn) extern int __mmlint_initcall
#define arch_initcall(fn) extern int __mmlint_initcall
#define fs_initcall(fn) extern int __mmlint_initcall
#define EXPORT_SYMBOL_NS_GPL(sym, ns) extern int __mmlint_export_##sym
#define EXPORT_SYMBOL_NS(sym, ns) extern int __mmlint_export_##sym
#define EXPORT_SYMBOL_GPL_FOR_MODULES(sym, mods) extern int __mmlint_export_##sym
#define ALLOW_ERROR_INJECTION(fn, type) extern int __mmlint_error_injection

#define BIT(n) (1UL << (n))
#define BIT_ULL(n) (1ULL << (n))
#define GENMASK(h, l) (((~0UL) >> (63 - (h))) & (~0UL << (l)))
#define GENMASK_ULL(h, l) GENMASK(h, l)
#define FIELD_GET(mask, reg) (((reg) & (mask)) >> __bf_shf(mask))
#define FIELD_PREP(mask, val) (((val) << __bf_shf(mask)) & (mask))
#define BITS_PER_LONG 64
#define BITS_TO_LONGS(n) (((n) + BITS_PER_LONG - 1) / BITS_PER_LONG)
#define DECLARE_BITMAP(name, bits) unsigned long name[BITS_TO_LONGS(bits)]
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define ALIGN(x, a) (((x) + (a) - 1) & ~((a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((a) - 1)) == 0)
#define PAGE_ALIGN(addr) ALIGN(addr, PAGE_SIZE)
#define PAGE_ALIGNED(addr) IS_ALIGNED((unsigned long)(addr), PAGE_SIZE)
#define round_up(x, y) ((((x) - 1) | ((y) - 1)) + 1)
#define round_down(x, y) ((x) & ~((y) - 1))
#define roundup(x, y) ((((x) + ((y) - 1)) / (y)) * (y))
#define rounddown(x, y) ((x) - ((x) % (y)))
#define upper_32_bits(n) ((u32)(((n) >> 16) >> 16))
#define lower_32_bits(n) ((u32)((n) & 0xffffffff))
#define SZ_4K 0x00001000
#define SZ_64K 0x00010000
#define SZ_1M 0x00100000
#define SZ_2M 0x00200000
#define SZ_1G 0x40000000
#define U8_MAX ((u8)~0U)
#define U16_MAX ((u16)~0U)
#define U32_MAX ((u32)~0U)
#define U64_MAX ((u64)~0ULL)
#define INT_MAX ((int)(~0U >> 1))
#define UINT_MAX (~0U)
#define LONG_MAX ((long)(~0UL >> 1))
#define ULONG_MAX (~0UL)
#define min_t(type, a, b) ((type)(a) < (type)(b) ? (type)(a) : (type)(b))
#define max_t(type, a, b) ((type)(a) > (type)(b) ? (type)(a) : (type)(b))
#define min3(a, b, c) min(min(a, b), c)
#define max3(a, b, c) max(max(a, b), c)
#define clamp(v, lo, hi) min(max(v, lo), hi)
#define clamp_t(type, v, lo, hi) min_t(type, max_t(type, v, lo), hi)
#define clamp_val(v, lo, hi) clamp(v, lo, hi)
#define swap(a, b) do { __typeof__(a) __mmlint_tmp = (a); (a) = (b); (b) = __mmlint_tmp; } while (0)
#define abs(x) ((x) < 0 ? -(x) : (x))
#define sizeof_field(t, m) sizeof(((t *)0)->m)
#define struct_size(p, member, count) (sizeof(*(p)) + sizeof(*(p)->member) * (count))
#define array_size(a, b) ((a) * (b))
#define check_add_overflow(a, b, d) ((void)(*(d) = (a) + (b)), 0)
#define check_mul_overflow(a, b, d) ((void)(*(d) = (a) * (b)), 0)
#define __same_type(a, b) __builtin_types_compatible_p(__typeof__(a), __typeof__(b))
#define HZ 250
#define jiffies (*__mmlint_jiffies())
unsigned long *__mmlint_jiffies(void);
#define time_after(a, b) ((long)((b) - (a)) < 0)
#define time_before(a, b) time_after(b, a)
#define time_after_eq(a, b) ((long)((a) - (b)) >= 0)
#define time_before_eq(a, b) time_after_eq(b, a)
unsigned long msecs_to_jiffies(unsigned int m);
unsigned long usecs_to_jiffies(unsigned int u);
unsigned int jiffies_to_msecs(unsigned long j);
ktime_t ktime_get(void);
u64 ktime_get_ns(void);

/* Errors and pointers carrying them. */
#define ENOENT 2
#define EINTR 4
#define ENXIO 6
#define E2BIG 7
#define EBADF 9
#define EACCES 13
#define EEXIST 17
#define ENOTDIR 20
#define ENFILE 23
#define ENOTTY 25
#define EFBIG 27
#define ESPIPE 29
#define EROFS 30
#define EPIPE 32
#define EDOM 33
#define ERANGE 34
#define EDEADLK 35
#define ENOSYS 38
#define ENODATA 61
#define ETIME 62
#define ENOLINK 67
#define EPROTO 71
#define EBADMSG 74
#define EOVERFLOW 75
#define EILSEQ 84
#define EOPNOTSUPP 95
#define EADDRINUSE 98
#define ENOBUFS 105
#define ETIMEDOUT 110
#define ECONNREFUSED 111
#define EALREADY 114
#define EINPROGRESS 115
#define ECANCELED 125
#define ERESTARTNOINTR 513
#define ENOIOCTLCMD 515
#define EPROBE_DEFER 517
#define ENOTSUPP 524
#define MAX_ERRNO 4095
#define IS_ERR_VALUE(x) ((unsigned long)(void *)(x) >= (unsigned long)-MAX_ERRNO)
bool IS_ERR_OR_NULL(const void *ptr);
void *ERR_CAST(const void *ptr);
int PTR_ERR_OR_ZERO(const void *ptr);

/* Warnings and assertions: the condition stays an expression. */
#define WARN(c, fmt, ...) (c)
#define WARN_ONCE(c, fmt, ...) (c)
#define WARN_ON_SMP(c) (c)
#define BUG() __builtin_trap()
#define VM_BUG_ON(c) BUG_ON(c)
#define VM_WARN_ON(c) WARN_ON(c)
#define VM_WARN_ON_ONCE(c) WARN_ON_ONCE(c)
#define lockdep_assert_held(l) ((void)(l))
#define lockdep_assert_held_write(l) ((void)(l))
#define lockdep_assert_held_read(l) ((void)(l))
#define lockdep_assert_not_held(l) ((void)(l))
#define might_sleep() ((void)0)
#define might_fault() ((void)0)
#define might_lock(l) ((void)(l))

/* Printing. */
#define pr_fmt(fmt) fmt
#define pr_emerg(fmt, ...) printk(fmt, ##__VA_ARGS__)
#define pr_alert(fmt, ...) printk(fmt, ##__VA_ARGS__)
#define pr_crit(fmt, ...) printk(fmt, ##__VA_ARGS__)
#define pr_notice(fmt, ...) printk(fmt, ##__VA_ARGS__)
#define pr_cont(fmt, ...) printk(fmt, ##__VA_ARGS__)
#define pr_devel(fmt, ...) printk(fmt, ##__VA_ARGS__)
#define pr_warning(fmt, ...) printk(fmt, ##__VA_ARGS__)
#define pr_err_once(fmt, ...) printk(fmt, ##__VA_ARGS__)
#define pr_warn_once(fmt, ...) printk(fmt, ##__VA_ARGS__)
#define pr_info_once(fmt, ...) printk(fmt, ##__VA_ARGS__)
#define pr_err_ratelimited(fmt, ...) printk(fmt, ##__VA_ARGS__)
#define pr_warn_ratelimited(fmt, ...) printk(fmt, ##__VA_ARGS__)
#define pr_info_ratelimited(fmt, ...) printk(fmt, ##__VA_ARGS__)
#define pr_debug_ratelimited(fmt, ...) printk(fmt, ##__VA_ARGS__)
#define KERN_EMERG ""
#define KERN_ALERT ""
#define KERN_CRIT ""
#define KERN_ERR ""
#define KERN_WARNING ""
#define KERN_NOTICE ""
#define KERN_INFO ""
#define KERN_DEBUG ""
#define KERN_CONT ""
int dev_notice(const struct device *dev, const char *fmt, ...);
int dev_crit(const struct device *dev, const char *fmt, ...);
int dev_emerg(const struct device *dev, const char *fmt, ...);
int dev_alert(const struct device *dev, const char *fmt, ...);
int dev_printk(const char *level, const struct device *dev, const char *fmt, ...);
int dev_err_probe(const struct device *dev, int err, const char *fmt, ...);
#define dev_err_once(dev, fmt, ...) dev_err(dev, fmt, ##__VA_ARGS__)
#define dev_warn_once(dev, fmt, ...) dev_warn(dev, fmt, ##__VA_ARGS__)
#define dev_info_once(dev, fmt, ...) dev_info(dev, fmt, ##__VA_ARGS__)
#define dev_dbg_once(dev, fmt, ...) dev_dbg(dev, fmt, ##__VA_ARGS__)
#define dev_err_ratelimited(dev, fmt, ...) dev_err(dev, fmt, ##__VA_ARGS__)
#define dev_warn_ratelimited(dev, fmt, ...) dev_warn(dev, fmt, ##__VA_ARGS__)
#define dev_info_ratelimited(dev, fmt, ...) dev_info(dev, fmt, ##__VA_ARGS__)
#define dev_dbg_ratelimited(dev, fmt, ...) dev_dbg(dev, fmt, ##__VA_ARGS__)
#define dev_vdbg(dev, fmt, ...) dev_dbg(dev, fmt, ##__VA_ARGS__)
#define pci_err(pdev, fmt, ...) printk(fmt, ##__VA_ARGS__)
#define pci_warn(pdev, fmt, ...) printk(fmt, ##__VA_ARGS__)
#define pci_info(pdev, fmt, ...) printk(fmt, ##__VA_ARGS__)
#define pci_dbg(pdev, fmt, ...) printk(fmt, ##__VA_ARGS__)
#define pci_notice(pdev, fmt, ...) printk(fmt, ##__VA_ARGS__)
int snprintf(char *buf, size_t size, const char *fmt, ...);
int scnprintf(char *buf, size_t size, const char *fmt, ...);
int sprintf(char *buf, const char *fmt, ...);
int sysfs_emit(char *buf, const char *fmt, ...);
int sysfs_emit_at(char *buf, int at, const char *fmt, ...);
char *kasprintf(gfp_t gfp, const char *fmt, ...);
void dump_stack(void);

/* Memory. */
#define GFP_ATOMIC 0x0820u
#define GFP_NOWAIT 0x0800u
#define GFP_NOIO 0x0c00u
#define GFP_NOFS 0x0c40u
#define GFP_USER 0x100cc0u
#define GFP_HIGHUSER 0x100cc2u
#define GFP_DMA 0x01u
#define GFP_DMA32 0x04u
#define GFP_KERNEL_ACCOUNT 0x400cc0u
#define __GFP_ZERO 0x100u
#define __GFP_NOWARN 0x200u
#define __GFP_HIGHMEM 0x02u
#define __GFP_COMP 0x4000u
#define __GFP_RETRY_MAYFAIL 0x4000u
#define __GFP_NORETRY 0x1000u
void *kcalloc(size_t n, size_t size, gfp_t flags);
void *kmalloc_array(size_t n, size_t size, gfp_t flags);
void *krealloc(const void *p, size_t size, gfp_t flags);
void *kmemdup(const void *src, size_t len, gfp_t gfp);
char *kstrdup(const char *s, gfp_t gfp);
void *kvmalloc(size_t size, gfp_t flags);
void *kvzalloc(size_t size, gfp_t flags);
void *kvcalloc(size_t n, size_t size, gfp_t flags);
void *kvmalloc_array(size_t n, size_t size, gfp_t flags);
void kvfree(const void *p);
void kfree_sensitive(const void *p);
void *vmalloc(unsigned long size);
void *vzalloc(unsigned long size);
void *vmap(struct page **pages, unsigned int count, unsigned long flags, pgprot_t prot);
void vunmap(const void *addr);
#define kzalloc_node(size, flags, node) kzalloc(size, flags)
#define kmalloc_node(size, flags, node) kmalloc(size, flags)
#define kfree_rcu(ptr, ...) kfree(ptr)
struct kmem_cache;
struct kmem_cache *kmem_cache_create(const char *name, unsigned int size, unsigned int align,
				     slab_flags_t flags, void (*ctor)(void *));
void *kmem_cache_alloc(struct kmem_cache *cache, gfp_t flags);
void *kmem_cache_zalloc(struct kmem_cache *cache, gfp_t flags);
void kmem_cache_free(struct kmem_cache *cache, void *obj);
void kmem_cache_destroy(struct kmem_cache *cache);
void *devm_kzalloc(struct device *dev, size_t size, gfp_t gfp);
void *devm_kmalloc(struct device *dev, size_t size, gfp_t gfp);
void *devm_kcalloc(struct device *dev, size_t n, size_t size, gfp_t gfp);
void devm_kfree(struct device *dev, const void *p);
void *memset(void *s, int c, size_t n);
void *memcpy(void *dest, const void *src, size_t n);
void *memmove(void *dest, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
size_t strscpy(char *dest, const char *src, size_t count);
char *strchr(const char *s, int c);
unsigned long copy_from_user(void *to, const void __user *from, unsigned long n);
unsigned long copy_to_user(void __user *to, const void *from, unsigned long n);
#define get_user(x, ptr) ((x) = *(ptr), 0)
#define put_user(x, ptr) (*(ptr) = (x), 0)
void *memdup_user(const void __user *src, size_t len);
#define u64_to_user_ptr(x) ((void __user *)(uintptr_t)(x))
struct page *alloc_pages(gfp_t gfp, unsigned int order);
void __free_pages(struct page *page, unsigned int order);
void __free_page(struct page *page);
unsigned long __get_free_pages(gfp_t gfp, unsigned int order);
unsigned long get_zeroed_page(gfp_t gfp);
void free_pages(unsigned long addr, unsigned int order);
void free_page(unsigned long addr);
void *kmap(struct page *page);
void kunmap(struct page *page);
void *kmap_local_page(struct page *page);
void kunmap_local(const void *addr);
phys_addr_t page_to_phys(struct page *page);
struct page *virt_to_page(const void *addr);
void *phys_to_virt(phys_addr_t address);
void *__va(unsigned long x);
unsigned long __pa(const void *x);
int get_order(unsigned long size);
#define PAGE_KERNEL ((pgprot_t){ 0x163 })
#define offset_in_page(p) ((unsigned long)(p) & ~PAGE_MASK)
#define PFN_UP(x) (((x) + PAGE_SIZE - 1) >> PAGE_SHIFT)
void __iomem *ioremap(phys_addr_t offset, size_t size);
void __iomem *ioremap_wc(phys_addr_t offset, size_t size);
void __iomem *ioremap_cache(phys_addr_t offset, size_t size);
void iounmap(volatile void __iomem *addr);
u8 ioread8(const void __iomem *addr);
u16 ioread16(const void __iomem *addr);
u32 ioread32(const void __iomem *addr);
void iowrite8(u8 v, void __iomem *addr);
void iowrite16(u16 v, void __iomem *addr);
void iowrite32(u32 v, void __iomem *addr);
u8 readb(const volatile void __iomem *addr);
u16 readw(const volatile void __iomem *addr);
u32 readl(const volatile void __iomem *addr);
u64 readq(const volatile void __iomem *addr);
void writeb(u8 v, volatile void __iomem *addr);
void writew(u16 v, volatile void __iomem *addr);
void writel(u32 v, volatile void __iomem *addr);
void writeq(u64 v, volatile void __iomem *addr);
#define readl_relaxed(a) readl(a)
#define writel_relaxed(v, a) writel(v, a)
void memcpy_fromio(void *to, const volatile void __iomem *from, size_t count);
void memcpy_toio(volatile void __iomem *to, const void *from, size_t count);
void memset_io(volatile void __iomem *addr, int value, size_t count);
struct sg_table;
struct scatterlist;

/* Lists: mmlint's reduction of include/linux/list.h's API. */
struct list_head { struct list_head *next, *prev; };
struct hlist_node { struct hlist_node *next, **pprev; };
struct hlist_head { struct hlist_node *first; };
struct rb_node { unsigned long __rb_parent_color; struct rb_node *rb_right, *rb_left; };
struct rb_root { struct rb_node *rb_node; };
#define RB_ROOT (struct rb_root) { 0 }
#define LIST_HEAD_INIT(name) { &(name), &(name) }
#define LIST_HEAD(name) struct list_head name = LIST_HEAD_INIT(name)
#define HLIST_HEAD(name) struct hlist_head name = { 0 }
void INIT_LIST_HEAD(struct list_head *list);
void list_add(struct list_head *new_entry, struct list_head *head);
void list_add_tail(struct list_head *new_entry, struct list_head *head);
void list_del(struct list_head *entry);
void list_del_init(struct list_head *entry);
void list_move(struct list_head *list, struct list_head *head);
void list_move_tail(struct list_head *list, struct list_head *head);
void list_replace(struct list_head *old, struct list_head *new_entry);
void list_splice_init(struct list_head *list, struct list_head *head);
void list_splice_tail_init(struct list_head *list, struct list_head *head);
int list_empty(const struct list_head *head);
int list_is_singular(const struct list_head *head);
int list_is_last(const struct list_head *list, const struct list_head *head);
void list_add_rcu(struct list_head *new_entry, struct list_head *head);
void list_add_tail_rcu(struct list_head *new_entry, struct list_head *head);
void list_del_rcu(struct list_head *entry);
void INIT_HLIST_NODE(struct hlist_node *h);
void hlist_add_head(struct hlist_node *n, struct hlist_head *h);
void hlist_del(struct hlist_node *n);
void hlist_del_init(struct hlist_node *n);
int hlist_unhashed(const struct hlist_node *h);
int hlist_empty(const struct hlist_head *h);
/*
 * The entry macros keep the loop and its body and leave the element type
 * alone: the struct is often defined in a header a bare parse does not have.
 */
void *__mmlint_list_entry(const void *ptr);
#define list_entry(ptr, type, member) ((type *)__mmlint_list_entry(ptr))
#define list_first_entry(ptr, type, member) ((type *)__mmlint_list_entry(ptr))
#define list_last_entry(ptr, type, member) ((type *)__mmlint_list_entry(ptr))
#define list_first_entry_or_null(ptr, type, member) ((type *)__mmlint_list_entry(ptr))
#define list_next_entry(pos, member) (__mmlint_list_entry(pos))
#define list_prev_entry(pos, member) (__mmlint_list_entry(pos))
#define list_entry_is_head(pos, head, member) ((void *)(pos) == (void *)(head))
#define hlist_entry(ptr, type, member) ((type *)__mmlint_list_entry(ptr))
#define list_for_each(pos, head) for (pos = (head)->next; pos != (head); pos = pos->next)
#define list_for_each_safe(pos, n, head) for (pos = (head)->next, n = pos->next; pos != (head); pos = n, n = pos->next)
#define list_for_each_entry(pos, head, member) \
	for (pos = __mmlint_list_entry(head); pos; pos = __mmlint_list_entry(pos))
#define list_for_each_entry_reverse(pos, head, member) list_for_each_entry(pos, head, member)
#define list_for_each_entry_continue(pos, head, member) list_for_each_entry(pos, head, member)
#define list_for_each_entry_from(pos, head, member) list_for_each_entry(pos, head, member)
#define list_for_each_entry_rcu(pos, head, member, ...) list_for_each_entry(pos, head, member)
#define list_for_each_entry_safe(pos, n, head, member) \
	for (pos = __mmlint_list_entry(head), n = __mmlint_list_entry(pos); pos; pos = n, n = __mmlint_list_entry(n))
#define list_for_each_entry_safe_reverse(pos, n, head, member) list_for_each_entry_safe(pos, n, head, member)
#define hlist_for_each_entry(pos, head, member) list_for_each_entry(pos, head, member)
#define hlist_for_each_entry_safe(pos, n, head, member) list_for_each_entry_safe(pos, n, head, member)
#define hlist_for_each_entry_rcu(pos, head, member, ...) list_for_each_entry(pos, head, member)

/* Locks. */
#define DEFINE_MUTEX(name) struct mutex name
#define DEFINE_SPINLOCK(name) spinlock_t name
#define DEFINE_RWLOCK(name) rwlock_t name
#define DECLARE_RWSEM(name) struct rw_semaphore name
#define DEFINE_IDR(name) struct idr name
#define DEFINE_IDA(name) struct ida name
#define DEFINE_XARRAY(name) struct xarray name
#define DEFINE_XARRAY_ALLOC(name) struct xarray name
#define DECLARE_WAIT_QUEUE_HEAD(name) wait_queue_head_t name
#define DECLARE_COMPLETION(name) struct completion name
#define DECLARE_COMPLETION_ONSTACK(name) struct completion name
#define DEFINE_STATIC_SRCU(name) int name
#define DEFINE_PER_CPU(type, name) type name
#define DECLARE_PER_CPU(type, name) extern type name
void __mutex_init(struct mutex *lock);
#define mutex_init(lock) __mutex_init(lock)
void mutex_destroy(struct mutex *lock);
int mutex_lock_interruptible(struct mutex *lock);
int mutex_lock_killable(struct mutex *lock);
int mutex_is_locked(struct mutex *lock);
#define mutex_lock_nested(lock, subclass) mutex_lock(lock)
void __spin_lock_init(spinlock_t *lock);
#define spin_lock_init(lock) __spin_lock_init(lock)
void spin_lock_irq(spinlock_t *lock);
void spin_unlock_irq(spinlock_t *lock);
void spin_lock_bh(spinlock_t *lock);
void spin_unlock_bh(spinlock_t *lock);
int spin_trylock(spinlock_t *lock);
unsigned long __mmlint_spin_lock_irqsave(spinlock_t *lock);
#define spin_lock_irqsave(lock, flags) ((flags) = __mmlint_spin_lock_irqsave(lock))
void spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags);
#define spin_lock_nested(lock, subclass) spin_lock(lock)
#define assert_spin_locked(lock) ((void)(lock))
void raw_spin_lock(raw_spinlock_t *lock);
void raw_spin_unlock(raw_spinlock_t *lock);
#define raw_spin_lock_irqsave(lock, flags) ((flags) = 0, raw_spin_lock(lock))
void raw_spin_unlock_irqrestore(raw_spinlock_t *lock, unsigned long flags);
void read_lock(rwlock_t *lock);
void read_unlock(rwlock_t *lock);
void write_lock(rwlock_t *lock);
void write_unlock(rwlock_t *lock);
#define write_lock_irqsave(lock, flags) ((flags) = 0, write_lock(lock))
void write_unlock_irqrestore(rwlock_t *lock, unsigned long flags);
void __init_rwsem(struct rw_semaphore *sem);
#define init_rwsem(sem) __init_rwsem(sem)
int down_write_trylock(struct rw_semaphore *sem);
int down_read_interruptible(struct rw_semaphore *sem);
#define down_read_nested(sem, subclass) down_read(sem)
#define down_write_nested(sem, subclass) down_write(sem)
void rcu_read_lock(void);
void rcu_read_unlock(void);
void synchronize_rcu(void);
#define rcu_dereference(p) (p)
#define rcu_dereference_protected(p, c) (p)
#define rcu_access_pointer(p) (p)
#define rcu_assign_pointer(p, v) ((p) = (v))
#define RCU_INIT_POINTER(p, v) ((p) = (v))
void local_irq_save_mmlint(unsigned long *flags);
#define local_irq_save(flags) local_irq_save_mmlint(&(flags))
void local_irq_restore(unsigned long flags);
void local_irq_disable(void);
void local_irq_enable(void);
void preempt_disable(void);
void preempt_enable(void);
/*
 * Scope-based cleanup (v6.5+): `guard(mutex)(&m);` is a call of nothing
 * but its argument, `scoped_guard(…) { … }` a block that runs once.
 */
#define guard(type) (void)
#define scoped_guard(type, ...) for (int __mmlint_scope = ((void)(__VA_ARGS__), 1); __mmlint_scope; __mmlint_scope = 0)
#define scoped_cond_guard(type, fail, ...) for (int __mmlint_scope = ((void)(__VA_ARGS__), 1); __mmlint_scope; __mmlint_scope = 0)
#define DEFINE_GUARD(name, type, lock, unlock) extern int __mmlint_guard_##name
#define DEFINE_GUARD_COND(name, ext, lock) extern int __mmlint_guard_cond_##name
#define DEFINE_LOCK_GUARD_0(name, lock, unlock, ...) extern int __mmlint_guard_##name
#define DEFINE_LOCK_GUARD_1(name, type, lock, unlock, ...) extern int __mmlint_guard_##name
#define DEFINE_FREE(name, type, free) extern int __mmlint_free_##name
#define DEFINE_CLASS(name, type, exit, init, ...) extern int __mmlint_class_##name
#define no_free_ptr(p) (p)
#define return_ptr(p) return (p)
#define take_fd(fd) (fd)

/* Waiting and work. */
struct task_struct;
struct task_struct *get_current(void);
#define current get_current()
void schedule(void);
long schedule_timeout(long timeout);
void set_current_state_mmlint(long state);
#define set_current_state(state) set_current_state_mmlint(state)
#define __set_current_state(state) set_current_state_mmlint(state)
#define TASK_RUNNING 0x0000
#define TASK_INTERRUPTIBLE 0x0001
#define TASK_UNINTERRUPTIBLE 0x0002
#define TASK_KILLABLE 0x0102
int signal_pending(struct task_struct *p);
int fatal_signal_pending(struct task_struct *p);
void cond_resched(void);
void msleep(unsigned int msecs);
void usleep_range(unsigned long min, unsigned long max);
void udelay(unsigned long usecs);
void mdelay(unsigned long msecs);
void ndelay(unsigned long nsecs);
void init_waitqueue_head(wait_queue_head_t *wq);
void wake_up(wait_queue_head_t *wq);
void wake_up_all(wait_queue_head_t *wq);
void wake_up_interruptible(wait_queue_head_t *wq);
#define wait_event(wq, cond) ((void)(cond))
#define wait_event_interruptible(wq, cond) ((void)(cond), 0)
#define wait_event_killable(wq, cond) ((void)(cond), 0)
#define wait_event_timeout(wq, cond, timeout) ((void)(cond), (timeout))
#define wait_event_interruptible_timeout(wq, cond, timeout) ((void)(cond), (timeout))
void init_completion(struct completion *x);
void reinit_completion(struct completion *x);
void complete(struct completion *x);
void complete_all(struct completion *x);
void wait_for_completion(struct completion *x);
unsigned long wait_for_completion_timeout(struct completion *x, unsigned long timeout);
int wait_for_completion_interruptible(struct completion *x);
struct work_struct { unsigned long data; };
struct delayed_work { struct work_struct work; };
struct workqueue_struct;
#define INIT_WORK(work, fn) ((void)(work), (void)(fn))
#define INIT_DELAYED_WORK(work, fn) ((void)(work), (void)(fn))
int schedule_work(struct work_struct *work);
int schedule_delayed_work(struct delayed_work *work, unsigned long delay);
int queue_work(struct workqueue_struct *wq, struct work_struct *work);
int cancel_work_sync(struct work_struct *work);
int cancel_delayed_work_sync(struct delayed_work *work);
void flush_work(struct work_struct *work);
void flush_workqueue(struct workqueue_struct *wq);

/* Atomics and reference counts. */
#define ATOMIC_INIT(i) { (i) }
#define REFCOUNT_INIT(n) { .refs = ATOMIC_INIT(n) }
int atomic_read(const atomic_t *v);
void atomic_set(atomic_t *v, int i);
void atomic_inc(atomic_t *v);
void atomic_dec(atomic_t *v);
void atomic_add(int i, atomic_t *v);
void atomic_sub(int i, atomic_t *v);
int atomic_inc_return(atomic_t *v);
int atomic_dec_return(atomic_t *v);
int atomic_add_return(int i, atomic_t *v);
int atomic_dec_and_test(atomic_t *v);
int atomic_inc_not_zero(atomic_t *v);
int atomic_cmpxchg(atomic_t *v, int old, int new_value);
int atomic_xchg(atomic_t *v, int new_value);
s64 atomic64_read(const atomic64_t *v);
void atomic64_set(atomic64_t *v, s64 i);
void atomic64_inc(atomic64_t *v);
void atomic64_add(s64 i, atomic64_t *v);
s64 atomic64_inc_return(atomic64_t *v);
long atomic_long_read(const atomic_long_t *v);
void atomic_long_set(atomic_long_t *v, long i);
void atomic_long_inc(atomic_long_t *v);
void atomic_long_dec(atomic_long_t *v);
void atomic_long_add(long i, atomic_long_t *v);
void atomic_long_sub(long i, atomic_long_t *v);
void refcount_set(refcount_t *r, int n);
unsigned int refcount_read(const refcount_t *r);
void refcount_inc(refcount_t *r);
void refcount_dec(refcount_t *r);
int refcount_inc_not_zero(refcount_t *r);
int refcount_dec_and_test(refcount_t *r);
int refcount_dec_and_mutex_lock(refcount_t *r, struct mutex *lock);
void kref_init(struct kref *kref);
void kref_get(struct kref *kref);
int kref_put(struct kref *kref, void (*release)(struct kref *kref));
int kref_get_unless_zero(struct kref *kref);
#define xchg(ptr, v) (*(ptr) = (v))
#define cmpxchg(ptr, old, v) (*(ptr) = (v))
#define smp_load_acquire(p) (*(p))
#define smp_store_release(p, v) (*(p) = (v))
void set_bit(long nr, volatile unsigned long *addr);
void clear_bit(long nr, volatile unsigned long *addr);
int test_bit(long nr, const volatile unsigned long *addr);
int test_and_set_bit(long nr, volatile unsigned long *addr);
int test_and_clear_bit(long nr, volatile unsigned long *addr);
unsigned long find_first_bit(const unsigned long *addr, unsigned long size);
unsigned long find_next_bit(const unsigned long *addr, unsigned long size, unsigned long offset);
unsigned long find_first_zero_bit(const unsigned long *addr, unsigned long size);
void bitmap_zero(unsigned long *dst, unsigned int nbits);
int bitmap_empty(const unsigned long *src, unsigned int nbits);
int hweight32(unsigned int w);
int hweight64(u64 w);
int fls(unsigned int x);
int ffs(int x);
int __ffs(unsigned long word);
int ilog2(unsigned long n);
int is_power_of_2(unsigned long n);
unsigned long roundup_pow_of_two(unsigned long n);
#define for_each_set_bit(bit, addr, size) for ((bit) = find_first_bit(addr, size); (bit) < (size); (bit) = find_next_bit(addr, size, (bit) + 1))

/* Devices, files and the VMA API drivers use around their mappings. */
struct device { struct device *parent; void *driver_data; struct kobject *kobj_unused; };
struct kobject;
struct attribute;
struct device_attribute;
struct seq_file;
struct poll_table_struct;
struct kiocb;
struct iov_iter;
struct vm_area_struct;
struct resource { resource_size_t start; resource_size_t end; const char *name; unsigned long flags; };
struct pci_bus { unsigned char number; struct pci_dev *self; };
struct pci_dev {
	struct device dev;
	struct pci_bus *bus;
	unsigned int devfn;
	unsigned short vendor, device, subsystem_vendor, subsystem_device;
	unsigned int class;
	u8 revision, hdr_type;
	int irq;
	pci_power_t current_state;
	unsigned int is_virtfn : 1, is_physfn : 1, no_command_memory : 1;
	struct resource resource[17];
};
#define to_pci_dev(d) container_of(d, struct pci_dev, dev)
int pci_enable_device(struct pci_dev *dev);
void pci_disable_device(struct pci_dev *dev);
void pci_set_master(struct pci_dev *dev);
int pci_request_regions(struct pci_dev *dev, const char *name);
void pci_release_regions(struct pci_dev *dev);
void __iomem *pci_iomap(struct pci_dev *dev, int bar, unsigned long max);
void pci_iounmap(struct pci_dev *dev, void __iomem *addr);
int pci_read_config_word(const struct pci_dev *dev, int where, u16 *val);
int pci_read_config_dword(const struct pci_dev *dev, int where, u32 *val);
int pci_write_config_word(const struct pci_dev *dev, int where, u16 val);
int pci_write_config_dword(const struct pci_dev *dev, int where, u32 val);
void *pci_get_drvdata(struct pci_dev *pdev);
void pci_set_drvdata(struct pci_dev *pdev, void *data);
#define pci_name(pdev) dev_name(&(pdev)->dev)
#define pci_resource_flags(dev, bar) ((dev)->resource[(bar)].flags)
#define pci_resource_end(dev, bar) ((dev)->resource[(bar)].end)
#define IORESOURCE_IO 0x00000100
#define IORESOURCE_MEM 0x00000200
#define IORESOURCE_PREFETCH 0x00002000
#define resource_size(res) ((res)->end - (res)->start + 1)
void *dev_get_drvdata(const struct device *dev);
void dev_set_drvdata(struct device *dev, void *data);
const char *dev_name(const struct device *dev);
struct device *get_device(struct device *dev);
void put_device(struct device *dev);
int dev_to_node(struct device *dev);
struct inode *file_inode(const struct file *f);
loff_t no_llseek(struct file *file, loff_t offset, int whence);
loff_t noop_llseek(struct file *file, loff_t offset, int whence);
int nonseekable_open(struct inode *inode, struct file *filp);
struct file *fget(unsigned int fd);
void fput(struct file *file);
int get_unused_fd_flags(unsigned int flags);
void fd_install(unsigned int fd, struct file *file);
void put_unused_fd(unsigned int fd);
struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr);
struct vm_area_struct *vma_lookup(struct mm_struct *mm, unsigned long addr);
struct mm_struct *get_task_mm(struct task_struct *task);
void mmput(struct mm_struct *mm);
void mmgrab(struct mm_struct *mm);
void mmdrop(struct mm_struct *mm);
int mmget_not_zero(struct mm_struct *mm);
long get_user_pages(unsigned long start, unsigned long nr_pages, unsigned int gup_flags, struct page **pages, ...);
long pin_user_pages(unsigned long start, unsigned long nr_pages, unsigned int gup_flags, struct page **pages, ...);
int pin_user_pages_fast(unsigned long start, int nr_pages, unsigned int gup_flags, struct page **pages);
int get_user_pages_fast(unsigned long start, int nr_pages, unsigned int gup_flags, struct page **pages);
void unpin_user_pages(struct page **pages, unsigned long npages);
void unpin_user_page(struct page *page);
#define FOLL_WRITE 0x01
#define FOLL_FORCE 0x10
#define FOLL_LONGTERM 0x100
#define FOLL_GET 0x04
int set_page_dirty_lock(struct page *page);
void lock_page(struct page *page);
void unlock_page(struct page *page);
int PageReserved(struct page *page);
int pfn_valid(unsigned long pfn);
#define VM_LOCKED 0x00002000UL
#define VM_MAYREAD 0x00000010UL
#define VM_MAYEXEC 0x00000040UL
#define VM_MAYSHARE 0x00000080UL
#define VM_GROWSDOWN 0x00000100UL
#define VM_HUGEPAGE 0x20000000UL
#define VM_NOHUGEPAGE 0x40000000UL
#define VM_WIPEONFORK 0x02000000UL
#define VM_ACCOUNT 0x00100000UL
#define VM_SEQ_READ 0x00008000UL
#define VM_RAND_READ 0x00010000UL
#define VM_SYNC 0x00800000UL
#define VM_ALLOW_ANY_UNCACHED 0x100000000UL
pgprot_t pgprot_device(pgprot_t prot);
pgprot_t pgprot_dmacoherent(pgprot_t prot);
#define __pgprot(x) ((pgprot_t){ (x) })
#define pgprot_val(x) ((x).pgprot)
unsigned long vma_pages(struct vm_area_struct *vma);
unsigned long linear_page_index(struct vm_area_struct *vma, unsigned long address);
int vma_is_anonymous(struct vm_area_struct *vma);
void vma_set_file(struct vm_area_struct *vma, struct file *file);
#define PMD_SHIFT 21
#define PUD_SHIFT 30
#define PMD_SIZE (1UL << PMD_SHIFT)
#define PUD_SIZE (1UL << PUD_SHIFT)
#define PMD_MASK (~(PMD_SIZE - 1))
#define PUD_MASK (~(PUD_SIZE - 1))
#define PMD_ORDER (PMD_SHIFT - PAGE_SHIFT)
#define PUD_ORDER (PUD_SHIFT - PAGE_SHIFT)
/* Functions, as in the kernel (static inlines there), so that code which
 * declares them itself still parses. */
pfn_t pfn_to_pfn_t(unsigned long pfn);
pfn_t phys_to_pfn_t(phys_addr_t addr, u64 flags);
#define PFN_SPECIAL (1ULL << 60)

/* Configuration tests: no .config in bare mode. */
#define IS_BUILTIN(option) 0
#define IS_MODULE(option) 0
#define IS_REACHABLE(option) 0

#endif /* MMLINT_BARE_PRELUDE_H */
