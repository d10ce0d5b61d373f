/// mmlint's name and version, as reports and caches state them.
public enum ToolInfo {
    public static let name = "mmlint"
    public static let version = "0.1.0"
    public static let informationURI = "https://github.com/mmlint/mmlint"
}
