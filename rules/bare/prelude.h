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
struct pci_dev { struct device *dev_ptr; unsigned int devfn; };
resource_size_t pci_resource_start(struct pci_dev *pdev, int bar);
resource_size_t pci_resource_len(struct pci_dev *pdev, int bar);

#endif /* MMLINT_BARE_PRELUDE_H */
