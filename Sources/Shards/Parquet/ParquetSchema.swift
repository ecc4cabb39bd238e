// The Parquet schema as a list of leaf columns (path, levels, types), and the check that the
// caption and encoding columns have a shape this reader implements (anything else is refused).

/// One leaf column of the schema.
struct ParquetLeaf {
    /// Position among the leaves = position of its chunk in every row group.
    var index: Int
    /// Names from the top-level field down to the leaf, e.g. ["encoding", "list", "element"].
    var path: [String]
    /// The schema elements along `path` (top-level field first, leaf last).
    var nodes: [SchemaElement]
    var maxDefinitionLevel: Int
    var maxRepetitionLevel: Int

    var leaf: SchemaElement { nodes[nodes.count - 1] }
    var dottedPath: String { path.joined(separator: ".") }
}

/// How the encoding leaf's integers are read.
struct IntegerLeafType {
    /// true: INT64 physical values; false: INT32.
    var is64Bit: Bool
    var isUnsigned: Bool
}

/// The two columns an import reads, resolved by name and checked.
struct ParquetColumns {
    var caption: ParquetLeaf
    var encoding: ParquetLeaf
    var integerType: IntegerLeafType
    /// Definition level at which the encoding list has an entry (the repeated node's level).
    var repeatedDefinitionLevel: Int

    static let physicalTypeNames = [
        "BOOLEAN", "INT32", "INT64", "INT96", "FLOAT", "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY",
    ]

    static func physicalTypeName(_ type: Int32?) -> String {
        guard let type, let index = Int(exactly: type), physicalTypeNames.indices.contains(index) else {
            return "physical type \(type.map(String.init) ?? "none")"
        }
        return "physical type " + physicalTypeNames[index]
    }

    /// Every leaf of the flattened schema in order; throws on a malformed tree.
    static func leaves(of schema: [SchemaElement]) throws -> [ParquetLeaf] {
        guard let root = schema.first, let rootChildren = root.childCount, rootChildren >= 0 else {
            throw ParquetDataError("the schema has no root group")
        }
        var leaves: [ParquetLeaf] = []
        var next = 1
        func visit(_ parents: [SchemaElement], definition: Int, repetition: Int) throws {
            guard next < schema.count else { throw ParquetDataError("the schema ends inside a group") }
            guard parents.count < 64 else { throw ParquetDataError("the schema is nested too deeply") }
            let element = schema[next]
            next += 1
            let nodes = parents + [element]
            let definition = definition + (element.repetition == 0 ? 0 : 1)
            let repetition = repetition + (element.repetition == 2 ? 1 : 0)
            if let children = element.childCount, element.type == nil {
                guard children >= 0, Int(children) <= schema.count - next else {
                    throw ParquetDataError("schema element '\(element.name)' claims \(children) children")
                }
                for _ in 0..<children { try visit(nodes, definition: definition, repetition: repetition) }
            } else {
                leaves.append(
                    ParquetLeaf(
                        index: leaves.count, path: nodes.map(\.name), nodes: nodes,
                        maxDefinitionLevel: definition, maxRepetitionLevel: repetition))
            }
        }
        guard Int(rootChildren) <= schema.count - 1 else {
            throw ParquetDataError("the schema root claims \(rootChildren) children")
        }
        for _ in 0..<rootChildren { try visit([], definition: 0, repetition: 0) }
        guard next == schema.count else {
            throw ParquetDataError("\(schema.count - next) schema elements are outside the tree")
        }
        return leaves
    }

    /// Finds and checks the caption and encoding columns; `refuse(column, feature)` and
    /// `missing(detail)` build the errors.
    static func resolve(
        leaves: [ParquetLeaf], caption captionName: String, encoding encodingName: String,
        refuse: (String, String) -> Error, missing: (String) -> Error
    ) throws -> ParquetColumns {
        let topLevel = leaves.reduce(into: [String]()) { names, leaf in
            if names.last != leaf.path[0] { names.append(leaf.path[0]) }
        }
        func leavesNamed(_ name: String) throws -> [ParquetLeaf] {
            let found = leaves.filter { $0.path[0] == name }
            guard !found.isEmpty else {
                throw missing(
                    "no column '\(name)' (top-level columns: \(topLevel.map { "'\($0)'" }.joined(separator: ", ")))"
                )
            }
            return found
        }
        let captionLeaves = try leavesNamed(captionName)
        let caption = captionLeaves[0]
        guard captionLeaves.count == 1, caption.path.count == 1 else {
            throw refuse(captionName, "a nested caption column (\(caption.dottedPath)), not a string")
        }
        guard caption.leaf.type == 6 else {
            throw refuse(captionName, "a caption of \(physicalTypeName(caption.leaf.type)), not a string")
        }
        guard caption.maxRepetitionLevel == 0 else { throw refuse(captionName, "a repeated caption field") }
        if let logical = caption.leaf.logicalType, logical != 1 {
            throw refuse(captionName, "a caption of logical type \(logicalTypeName(logical)), not STRING")
        }
        if let converted = caption.leaf.convertedType, converted != 0 {
            throw refuse(captionName, "a caption of converted type \(converted), not UTF8")
        }

        let encodingLeaves = try leavesNamed(encodingName)
        let encoding = encodingLeaves[0]
        guard encodingLeaves.count == 1 else {
            throw refuse(
                encodingName, "an encoding column with \(encodingLeaves.count) leaves (a struct or map)")
        }
        guard encoding.maxRepetitionLevel == 1 else {
            throw refuse(
                encodingName,
                encoding.maxRepetitionLevel == 0
                    ? "an encoding column that is not a list" : "an encoding column of nested lists")
        }
        let leaf = encoding.leaf
        guard leaf.type == 1 || leaf.type == 2 else {
            throw refuse(encodingName, "list elements of \(physicalTypeName(leaf.type)), not integers")
        }
        var isUnsigned = false
        if let logical = leaf.logicalType {
            guard logical == 10, let signed = leaf.integerIsSigned else {
                throw refuse(encodingName, "list elements of logical type \(logicalTypeName(logical))")
            }
            isUnsigned = !signed
        } else if let converted = leaf.convertedType {
            guard (11...18).contains(converted) else {
                throw refuse(encodingName, "list elements of converted type \(converted)")
            }
            isUnsigned = converted <= 14
        }
        guard let repeatedPosition = encoding.nodes.firstIndex(where: { $0.repetition == 2 }) else {
            throw refuse(encodingName, "a list without a repeated node")
        }
        guard encoding.nodes.count <= repeatedPosition + 2 else {
            throw refuse(encodingName, "a list of structs (\(encoding.dottedPath))")
        }
        let repeatedDefinition = encoding.nodes[...repeatedPosition].filter { $0.repetition != 0 }.count
        return ParquetColumns(
            caption: caption, encoding: encoding,
            integerType: IntegerLeafType(is64Bit: leaf.type == 2, isUnsigned: isUnsigned),
            repeatedDefinitionLevel: repeatedDefinition)
    }

    static func logicalTypeName(_ id: Int16) -> String {
        let names: [Int16: String] = [
            1: "STRING", 2: "MAP", 3: "LIST", 4: "ENUM", 5: "DECIMAL", 6: "DATE", 7: "TIME", 8: "TIMESTAMP",
            10: "INTEGER", 11: "UNKNOWN", 12: "JSON", 13: "BSON", 14: "UUID", 15: "FLOAT16", 16: "VARIANT",
            17: "GEOMETRY", 18: "GEOGRAPHY",
        ]
        return names[id] ?? "#\(id)"
    }
}
