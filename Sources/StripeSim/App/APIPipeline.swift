import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Which API surface a route belongs to: v1 (form bodies, v1 errors, `expand[]`) or v2 (JSON, v2 errors).
package enum APIFamily: Sendable { case v1, v2 }

/// Which keys may call a route.
package enum Access: Sendable {
    /// Secret (and restricted) keys only: publishable keys get Stripe's 403 `secret_key_required`.
    case secret
    /// Publishable keys too (client-side calls such as retrieving an FC session by client secret).
    case publishable
}

/// A request after the conventions ran: authenticated, versioned, its parameters validated.
package struct APIRequest: Sendable {
    package var method: String
    package var path: String
    package var params: Params
    package var credentials: Credentials
    package var requestID: String
    package var apiVersion: String
    package var idempotencyKey: String?
    package var pathParameters: [String: String]

    package var account: String { credentials.account }
    /// A path parameter (`/v1/customers/:id` → `id`).
    package func path(_ name: String = "id") -> String { pathParameters[name] ?? "" }
}

/// A handler: runs inside one database transaction (a write for POST/DELETE, a read for GET) and returns the
/// rendered object before expansion.
package typealias APIHandler = @Sendable (APIRequest, Store) throws -> JSONValue

/// What a handler may answer instead: an object, or its API body already rendered (a stored `rendered` column,
/// `Store.rendered`), which the pipeline sends as it is unless `expand[]` asks for more.
package enum APIAnswer: Sendable {
    case json(JSONValue)
    case rendered(String)
}

/// A handler answering `APIAnswer`.
package typealias APIAnswerHandler = @Sendable (APIRequest, Store) throws -> APIAnswer

/// Registers API routes in an `APIRouteTable`; each goes through the router's middleware, then the same fixed
/// pipeline (`APIPipeline.run`).
package final class APIRoutes {
    private let middlewares: MiddlewareGroup<AppRequestContext>
    private let pipeline: APIPipeline
    /// The routes added so far.
    private(set) var table = APIRouteTable()
    /// What each route added so far takes, in the order added (for tests that walk every endpoint).
    private(set) var descriptions: [APIRouteDescription] = []

    /// Routes wrapped in `router`'s middleware (added to it before this).
    init(router: Router<AppRequestContext>, pipeline: APIPipeline) {
        self.middlewares = router.middlewares
        self.pipeline = pipeline
    }

    package func get(
        _ path: String,
        _ schema: ParamSchema = [:],
        family: APIFamily = .v1,
        access: Access = .secret,
        _ handler: @escaping APIHandler
    ) { add(.get, path, schema, family, access) { .json(try handler($0, $1)) } }

    /// A GET answering `APIAnswer`. With `cachedBy`, the route is a retrieve of that resource by the path's `id`
    /// whose handler answers the stored API body (`Store.rendered`): a body in the `RenderedCache` is then sent
    /// without entering the database, and a body read is kept there.
    /// With `oneQuery`, the handler reads what it answers with one query (a page of stored bodies:
    /// `Store.renderedPage`), so when nothing is expanded it runs without a read transaction (`AppDatabase.read`).
    package func get(
        _ path: String,
        _ schema: ParamSchema = [:],
        family: APIFamily = .v1,
        access: Access = .secret,
        cachedBy resource: (any StoredResource.Type)? = nil,
        oneQuery: Bool = false,
        answering handler: @escaping APIAnswerHandler
    ) {
        add(.get, path, schema, family, access, handler, cachedTable: resource?.table, oneQuery: oneQuery)
    }

    package func post(
        _ path: String,
        _ schema: ParamSchema = [:],
        family: APIFamily = .v1,
        access: Access = .secret,
        _ handler: @escaping APIHandler
    ) { add(.post, path, schema, family, access) { .json(try handler($0, $1)) } }

    package func post(
        _ path: String,
        _ schema: ParamSchema = [:],
        family: APIFamily = .v1,
        access: Access = .secret,
        answering handler: @escaping APIAnswerHandler
    ) { add(.post, path, schema, family, access, handler) }

    package func delete(
        _ path: String,
        _ schema: ParamSchema = [:],
        family: APIFamily = .v1,
        access: Access = .secret,
        _ handler: @escaping APIHandler
    ) { add(.delete, path, schema, family, access) { .json(try handler($0, $1)) } }

    private func add(
        _ method: HTTPRequest.Method,
        _ path: String,
        _ schema: ParamSchema,
        _ family: APIFamily,
        _ access: Access,
        _ handler: @escaping APIAnswerHandler,
        cachedTable: String? = nil,
        oneQuery: Bool = false
    ) {
        var full = schema
        if family == .v1 { full["expand"] = .array(.string(max: 5000)) }
        let endpoint = Endpoint(
            method: method,
            family: family,
            access: access,
            schema: full,
            writes: method != .get,
            handler: handler,
            cachedTable: cachedTable,
            oneQuery: oneQuery || cachedTable != nil
        )
        let pipeline = self.pipeline
        let responder = CallbackResponder<AppRequestContext> { request, context in
            try await pipeline.run(endpoint, request, context)
        }
        table.add(path, method: method, responder: middlewares.constructResponder(finalResponder: responder))
        descriptions.append(APIRouteDescription(method: method, path: path, family: family, schema: full))
    }
}

/// An API route as registered: its method, its path (with `:name` parameters), its family and the parameters
/// it takes (`expand` included on v1).
package struct APIRouteDescription: Sendable {
    package var method: HTTPRequest.Method
    package var path: String
    package var family: APIFamily
    package var schema: ParamSchema
}

package struct Endpoint: Sendable {
    var method: HTTPRequest.Method
    var family: APIFamily
    var access: Access
    var schema: ParamSchema
    var writes: Bool
    var handler: APIAnswerHandler
    /// The table of the resource a cached retrieve answers (`APIRoutes.get(cachedBy:)`).
    var cachedTable: String?
    /// The handler reads its answer with one query (`APIRoutes.get(cachedBy:oneQuery:)`; every cached retrieve).
    var oneQuery = false
}

/// The fixed request pipeline every API call goes through, in Stripe's order:
/// auth → version → body → idempotency (replay / conflict) → parameter validation → handler in one
/// transaction (+ expansion + idempotency record) → background signals → response headers.
package struct APIPipeline: Sendable {
    let deps: AppDependencies
    let expansions: Expansions
    let maxBodyBytes: Int

    package func run(_ endpoint: Endpoint, _ request: Request, _ context: AppRequestContext) async throws -> Response {
        let requestID = context.requestID
        let family = endpoint.family
        let credentials = try context.credentials(request)
        if credentials.kind == .publishable && (endpoint.access == .secret || family == .v2) {
            throw APIKeyAuth.secretKeyRequired()
        }
        let version = try StripeVersion.resolve(request.headers.value(.stripeVersion))

        // Parameters: query string always; the body for POST and DELETE (form on v1, JSON on v2). A GET's body,
        // which nothing reads, is left to the server to discard.
        var request = request
        var bodyText = ""
        if endpoint.method != .get {
            bodyText = try await BodyReading.text(of: &request, upTo: maxBodyBytes).mapError(StripeError.body).get()
            context.requestLogDraft?.setRequestBody(bodyText)
        }
        var raw = try FormDecoding.decode(request.uri.query ?? "")
        var bodyJSON: JSONValue?
        if endpoint.method == .post || endpoint.method == .delete, !bodyText.isEmpty {
            if family == .v2 {
                guard let json = JSONValue.parse(bodyText), case .hash(let h) = FormDecoding.raw(from: json) else {
                    throw StripeError.validation("The request body is not a valid JSON object.")
                }
                for (k, v) in h.entries { raw[k] = v }
                bodyJSON = json
            } else if raw.isEmpty {
                raw = try FormDecoding.decode(bodyText)  // (the usual POST: no query string to merge into)
            } else {
                for (k, v) in try FormDecoding.decode(bodyText).entries { raw[k] = v }
            }
        }

        // Idempotency: POST on v1; POST and DELETE on v2.
        var idempotencyKey: String?
        if let key = request.headers.value(.idempotencyKey),
            endpoint.method == .post || (family == .v2 && endpoint.method == .delete)
        {
            try IdempotencyGate.validate(key: key)
            idempotencyKey = key
        }
        let storeContext = deps.storeContext(
            account: credentials.account,
            requestID: requestID,
            idempotencyKey: idempotencyKey,
            apiVersion: version
        )
        var headers = HTTPFields()
        headers.reserveCapacity(8)  // (every answer gets 4-6 fields: no regrowth on the way)
        headers[.stripeVersion] = version
        if let key = idempotencyKey { headers[.idempotencyKey] = key }

        guard let key = idempotencyKey else {
            return try await execute(endpoint, request, context, raw, credentials, version, storeContext, headers)
        }
        let account = credentials.account
        try deps.idempotency.begin(account: account, key: key)
        defer { deps.idempotency.end(account: account, key: key) }
        // The parameters in a canonical order, so a retry that lists them differently still matches.
        var canonical = IdempotencyGate.canonicalForm(request.uri.query ?? "")
        if let bodyJSON {
            canonical += "\n" + bodyJSON.serialized(pretty: false)
        } else if !bodyText.isEmpty {
            canonical += "\n" + IdempotencyGate.canonicalForm(bodyText)
        }
        let fingerprint = IdempotencyGate.fingerprint(
            method: endpoint.method.rawValue,
            path: request.uri.path,
            canonicalParams: canonical
        )
        let lifetime = family == .v1 ? IdempotencyGate.v1Lifetime : IdempotencyGate.v2Lifetime
        let now = storeContext.now
        if let stored = try await deps.database.read(
            storeContext,
            { store in
                try store.idempotencyRecord(key: key, notBefore: now - lifetime)
            }
        ) {
            guard stored.fingerprint == fingerprint else { throw IdempotencyGate.mismatch(key) }
            headers[.idempotentReplayed] = "true"
            headers[.originalRequest] = stored.requestID
            context.requestLogDraft?.setResponseBody(stored.body)
            return Self.jsonResponse(status: stored.status, body: stored.body, headers: headers)
        }
        do {
            var recording = storeContext
            recording.idempotencyKey = key
            return try await execute(
                endpoint,
                request,
                context,
                raw,
                credentials,
                version,
                recording,
                headers,
                record: IdempotencyRecord(fingerprint: fingerprint, status: 0, body: "", requestID: requestID)
            )
        } catch let error as StripeError where !error.isValidationFailure {
            // Errors after execution began are stored too, so a retry gets the same answer.
            let body = (family == .v1 ? error.v1Body : error.v2Body).serialized()
            _ = try await deps.database.write(storeContext) { store in
                try store.saveIdempotencyRecord(
                    key: key,
                    IdempotencyRecord(fingerprint: fingerprint, status: error.status, body: body, requestID: requestID)
                )
            }
            throw error
        }
    }

    private func execute(
        _ endpoint: Endpoint,
        _ request: Request,
        _ context: AppRequestContext,
        _ raw: RawHash,
        _ credentials: Credentials,
        _ version: String,
        _ storeContext: StoreContext,
        _ headers: HTTPFields,
        record: IdempotencyRecord? = nil
    ) async throws -> Response {
        let params = try ParamValidator.validate(raw, endpoint.schema)
        var pathParameters: [String: String] = [:]
        for (k, v) in context.parameters { pathParameters[String(k)] = String(v) }
        let api = APIRequest(
            method: endpoint.method.rawValue,
            path: request.uri.path,
            params: params,
            credentials: credentials,
            requestID: context.requestID,
            apiVersion: version,
            idempotencyKey: storeContext.idempotencyKey,
            pathParameters: pathParameters
        )
        let expand = params.strings("expand") ?? []
        // A cached retrieve: the stored body from memory when it is there (it is what the database holds).
        var cached: (key: RenderedCache.Key, generation: Int)?
        if let table = endpoint.cachedTable, expand.isEmpty {
            let cache = deps.database.renderedCache
            let key = RenderedCache.Key(table: table, account: credentials.account, id: api.path())
            if let body = cache.lookup(key) {
                context.requestLogDraft?.setResponseBody(body)
                return Self.jsonResponse(status: 200, body: body, headers: headers)
            }
            cached = (key, cache.generation)
        }
        let handler = endpoint.handler
        let expansions = self.expansions
        let family = endpoint.family
        let render: @Sendable (Store) throws -> (Int, String) = { store in
            var status = 200
            var body: String
            do {
                switch try handler(api, store) {
                case .rendered(let text) where expand.isEmpty:
                    body = text
                case .rendered(let text):
                    guard let json = JSONValue.parse(text) else {
                        throw StripeError(
                            status: 500,
                            type: "api_error",
                            message: "A stored object could not be read back."
                        )
                    }
                    body = try expansions.apply(json, paths: expand, store: store).serialized()
                case .json(var json):
                    if !expand.isEmpty { json = try expansions.apply(json, paths: expand, store: store) }
                    json["__total_count"] = nil
                    body = json.serialized()
                }
            } catch let error as StripeError where error.commitsChanges {
                // The error is the answer, but what the request did stays.
                status = error.status
                body = (family == .v1 ? error.v1Body : error.v2Body).serialized()
            }
            if var record, let key = api.idempotencyKey {
                record.status = status
                record.body = body
                try store.saveIdempotencyRecord(key: key, record)
            }
            return (status, body)
        }
        let status: Int
        let body: String
        if endpoint.writes {
            let ((code, text), signals) = try await deps.database.write(storeContext, render)
            deps.dispatch(signals)
            (status, body) = (code, text)
        } else {
            // A retrieve reads one row with one query (`Store.rendered`), a list one page; an expansion reads more.
            let oneQuery = endpoint.oneQuery && expand.isEmpty
            (status, body) = try await deps.database.read(storeContext, oneQuery: oneQuery, render)
            if let cached, status == 200 {
                deps.database.renderedCache.fill(cached.key, body, readAt: cached.generation)
            }
        }
        var headers = headers
        if record != nil { headers[.originalRequest] = context.requestID }
        context.requestLogDraft?.setResponseBody(body)
        return Self.jsonResponse(status: status, body: body, headers: headers)
    }

    package static func jsonResponse(status: Int, body: String, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-cache, no-store"
        return Response(
            status: HTTPResponse.Status(code: status),
            headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(string: body))
        )
    }
}

extension HTTPFields {
    /// The value of the field `name` (not `Cookie`), several joined with ", " as `self[name]` joins them (through
    /// unspecialised generic code: about 3,500 instructions a lookup, on the path of every API call).
    package func value(_ name: HTTPField.Name) -> String? {
        var value: String?
        for field in self where field.name == name {
            value = value.map { $0 + ", " + field.value } ?? field.value
        }
        return value
    }
}

extension HTTPField.Name {
    package static let stripeVersion = Self("Stripe-Version")!
    package static let idempotencyKey = Self("Idempotency-Key")!
    package static let idempotentReplayed = Self("Idempotent-Replayed")!
    package static let originalRequest = Self("Original-Request")!
    package static let requestID = Self("Request-Id")!
    package static let stripeShouldRetry = Self("Stripe-Should-Retry")!
}
