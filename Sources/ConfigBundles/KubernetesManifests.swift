import Foundation
import Yams

/// One object of a manifest bundle.
public struct KubernetesObject: Sendable, Equatable {
    public var kind: String
    public var name: String
    /// Secrets and ConfigMaps this object's pods name: (kind, name, key or nil, optional).
    public var references: [Reference] = []

    public struct Reference: Sendable, Equatable {
        public var kind: String
        public var name: String
        public var key: String?
        public var optional: Bool
    }
}

/// Kubernetes manifests (one or more YAML documents): Secrets' and ConfigMaps' keys become
/// values named `Secret/NAME/KEY` and `ConfigMap/NAME/KEY` (a Secret's `data` base64-decoded);
/// workloads record the Secrets and ConfigMaps their pods name (envFrom, env valueFrom, volumes).
enum KubernetesManifests {
    static func parse(_ text: String) throws(ConfigParseError) -> ConfigValues {
        let documents: [Node]
        do {
            documents = Array(try Yams.compose_all(yaml: text))
        } catch let error as YamlError {
            throw ConfigParseError("not valid YAML (\(StructuredParser.position(error)))")
        } catch {
            throw ConfigParseError("not valid YAML")
        }
        var values = ConfigValues(entries: [])
        for (index, document) in documents.enumerated() {
            guard document.mapping != nil else { continue }
            if document["kind"]?.string == "List" {
                for item in document["items"]?.sequence ?? [] { try add(item, into: &values, document: index + 1) }
            } else {
                try add(document, into: &values, document: index + 1)
            }
        }
        return values
    }

    private static func add(_ node: Node, into values: inout ConfigValues, document: Int) throws(ConfigParseError) {
        guard let kind = node["kind"]?.string, let name = node["metadata"]?["name"]?.string else {
            throw ConfigParseError("document \(document) has no kind or metadata.name: not a Kubernetes object")
        }
        var object = KubernetesObject(kind: kind, name: name)
        switch kind {
        case "Secret":
            for (key, value) in node["data"]?.mapping ?? [:] {
                let encoded = value.string ?? ""
                guard let decoded = Data(base64Encoded: encoded.filter { !$0.isWhitespace }) else {
                    throw ConfigParseError("Secret \(name): data.\(key.string ?? "") is not base64")
                }
                values.entries.append(("Secret/\(name)/\(key.string ?? "")", String(decoding: decoded, as: UTF8.self)))
            }
            for (key, value) in node["stringData"]?.mapping ?? [:] { values.entries.append(("Secret/\(name)/\(key.string ?? "")", value.string ?? "")) }
        case "ConfigMap":
            for (key, value) in node["data"]?.mapping ?? [:] { values.entries.append(("ConfigMap/\(name)/\(key.string ?? "")", value.string ?? "")) }
        default:
            object.references = references(podSpec(node, kind: kind))
        }
        values.objects.append(object)
    }

    /// The pod spec of a workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob).
    private static func podSpec(_ node: Node, kind: String) -> Node? {
        switch kind {
        case "Pod": return node["spec"]
        case "CronJob": return node["spec"]?["jobTemplate"]?["spec"]?["template"]?["spec"]
        default: return node["spec"]?["template"]?["spec"]
        }
    }

    private static func references(_ spec: Node?) -> [KubernetesObject.Reference] {
        guard let spec else { return [] }
        var found: [KubernetesObject.Reference] = []
        let optional = { (node: Node?) in node?["optional"]?.bool ?? false }
        let containers = (spec["containers"]?.sequence ?? []) + (spec["initContainers"]?.sequence ?? [])
        for container in containers {
            for source in container["envFrom"]?.sequence ?? [] {
                if let secret = source["secretRef"], let name = secret["name"]?.string {
                    found.append(.init(kind: "Secret", name: name, key: nil, optional: optional(secret)))
                }
                if let map = source["configMapRef"], let name = map["name"]?.string {
                    found.append(.init(kind: "ConfigMap", name: name, key: nil, optional: optional(map)))
                }
            }
            for variable in container["env"]?.sequence ?? [] {
                if let secret = variable["valueFrom"]?["secretKeyRef"], let name = secret["name"]?.string {
                    found.append(.init(kind: "Secret", name: name, key: secret["key"]?.string, optional: optional(secret)))
                }
                if let map = variable["valueFrom"]?["configMapKeyRef"], let name = map["name"]?.string {
                    found.append(.init(kind: "ConfigMap", name: name, key: map["key"]?.string, optional: optional(map)))
                }
            }
        }
        for volume in spec["volumes"]?.sequence ?? [] {
            if let secret = volume["secret"], let name = secret["secretName"]?.string {
                found.append(.init(kind: "Secret", name: name, key: nil, optional: optional(secret)))
            }
            if let map = volume["configMap"], let name = map["name"]?.string {
                found.append(.init(kind: "ConfigMap", name: name, key: nil, optional: optional(map)))
            }
        }
        return found
    }
}
