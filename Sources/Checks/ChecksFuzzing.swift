import Foundation

/// The parsers of the checks layer that read untrusted text: `${...}` templates, JSON response
/// bodies with their paths, and TAP from check scripts. For the fuzz target.
public enum ChecksFuzzing {
    /// Runs each parser over `data`; none may crash.
    public static func exercise(_ data: Data) {
        let text = String(decoding: data, as: UTF8.self)
        if let template = try? VariableTemplate(text) { _ = try? template.render(["a": "x\"y", "b": "ü%&"]) }
        if let document = JSONValue.parse(data) { _ = document.value(at: "a.b[0].c")?.text }
        _ = JSONValue.steps(text)
        _ = TAPParser.parse(text)
    }
}
