/// Plain-text helpers shared by the reporters and the reply writer.
public enum Prose {
    /// Wraps prose at `width` columns (kernel mail: 72); a word longer than
    /// that stands alone on its line.
    public static func wrap(_ text: String, width: Int = 72) -> String {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            if !line.isEmpty && line.count + 1 + word.count > width {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines.joined(separator: "\n")
    }
}
