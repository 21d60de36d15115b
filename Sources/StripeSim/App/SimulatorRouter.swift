import HTTPTypes
import Hummingbird

/// Routing: an API call (a route some resource registered through `APIRoutes`) resolves in an `APIRouteTable`;
/// everything else (the dashboard, the hosted flow's pages, `/healthz`, unknown paths) in Hummingbird's
/// `Router`. Both go through the same middleware (the recorder, `StripeMiddleware`, `FaultMiddleware`), which
/// every route, API or not, is wrapped in when it is added.
///
/// Why a table of its own: Hummingbird's trie walks a path `Character` by `Character` and tries a component
/// against each sibling in turn; with the simulator's hundred routes that cost about 16,000 instructions a
/// request, 7% of a cached retrieve. The table splits the path on its bytes and finds each component by hash.
package struct SimulatorRouter: HTTPResponderBuilder {
    let api: APIRouteTable
    let fallback: Router<AppRequestContext>
    /// The API routes, as registered (`APIRoutes.descriptions`).
    package let apiRoutes: [APIRouteDescription]

    package func buildResponder() -> Responder {
        Responder(api: api, fallback: fallback.buildResponder())
    }

    package struct Responder: HTTPResponder {
        let api: APIRouteTable
        let fallback: RouterResponder<AppRequestContext>

        /// As Hummingbird's `RouterResponder`: the route's path parameters go to `context.parameters`, and an
        /// `HTTPResponseError` that escapes the middleware becomes its response.
        package func respond(to request: Request, context: AppRequestContext) async throws -> Response {
            guard let (responder, parameters) = api.resolve(request.method, request.uri.path) else {
                return try await fallback.respond(to: request, context: context)
            }
            var context = context
            context.coreContext.parameters = parameters
            do {
                return try await responder.respond(to: request, context: context)
            } catch let error as any HTTPResponseError {
                return try error.response(from: request, context: context)
            }
        }
    }
}

/// API routes by path: a tree of path components, each a literal (found by hash) or a `:name` parameter
/// (matching any one component). Literals win over parameters (`/v1/customers/search` before
/// `/v1/customers/:id`), and a path that fails down a literal is tried down the parameter too. As with
/// Hummingbird's router, empty components do not count (`/v1//customers/` is `/v1/customers`), and a path
/// whose route does not take the request's method is not found.
package struct APIRouteTable: Sendable {
    package typealias Responder = any HTTPResponder<AppRequestContext>

    private struct Node: Sendable {
        var literals: [Substring: Node] = [:]
        /// `:name` children, in the order added (routes may name the same place differently).
        var parameters: [(name: Substring, node: Node)] = []
        var responders: [(method: HTTPRequest.Method, responder: Responder)] = []
    }

    private var root = Node()

    package init() {}

    /// Adds a route. `path` is made of literal components and `:name` parameters (no wildcards).
    package mutating func add(_ path: String, method: HTTPRequest.Method, responder: Responder) {
        Self.insert(Self.components(path)[...], method, responder, into: &root)
    }

    /// The responder for `method` at `path`, and the path's parameters; nil when no API route matches.
    package func resolve(_ method: HTTPRequest.Method, _ path: String) -> (Responder, Parameters)? {
        var found: [(Substring, Substring)] = []
        guard let node = Self.match(Self.components(path)[...], in: root, &found),
            let responder = node.responders.first(where: { $0.method == method })?.responder
        else { return nil }
        var parameters = Parameters()
        for (name, value) in found { parameters.append(key: name, value: value) }
        return (responder, parameters)
    }

    /// The non-empty components of a path, split on its bytes (by hand: `split` goes through a generic closure
    /// per byte).
    private static func components(_ path: String) -> [Substring] {
        var parts: [Substring] = []
        let bytes = path.utf8
        var i = bytes.startIndex
        while i < bytes.endIndex {
            if bytes[i] == UInt8(ascii: "/") {
                i = bytes.index(after: i)
                continue
            }
            let start = i
            while i < bytes.endIndex, bytes[i] != UInt8(ascii: "/") { i = bytes.index(after: i) }
            parts.append(path[start..<i])
        }
        return parts
    }

    private static func insert(
        _ rest: ArraySlice<Substring>,
        _ method: HTTPRequest.Method,
        _ responder: Responder,
        into node: inout Node
    ) {
        guard let first = rest.first else {
            node.responders.removeAll { $0.method == method }
            node.responders.append((method, responder))
            return
        }
        precondition(!first.hasPrefix("*"), "API routes take no wildcards: \(first)")
        if first.hasPrefix(":") {
            let name = first.dropFirst()
            if !node.parameters.contains(where: { $0.name == name }) { node.parameters.append((name, Node())) }
            let index = node.parameters.firstIndex { $0.name == name }!
            insert(rest.dropFirst(), method, responder, into: &node.parameters[index].node)
        } else {
            insert(rest.dropFirst(), method, responder, into: &node.literals[first, default: Node()])
        }
    }

    /// The node `rest` leads to from `node` that has routes, collecting parameter values into `found`.
    private static func match(
        _ rest: ArraySlice<Substring>,
        in node: Node,
        _ found: inout [(Substring, Substring)]
    ) -> Node? {
        guard let first = rest.first else { return node.responders.isEmpty ? nil : node }
        if let child = node.literals[first], let end = match(rest.dropFirst(), in: child, &found) { return end }
        for parameter in node.parameters {
            found.append((parameter.name, first))
            if let end = match(rest.dropFirst(), in: parameter.node, &found) { return end }
            found.removeLast()
        }
        return nil
    }
}
