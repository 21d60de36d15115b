import Foundation
import Hummingbird
import Logging

/// Builds the whole simulator: the router with every resource, the background services, the startup banner.
///
/// ```swift
/// let deps = try AppDependencies.live(config)
/// let app = try await buildApplication(config, deps)
/// try await app.runService()
/// ```
package func buildApplication(_ config: SimulatorConfiguration, _ deps: AppDependencies) async throws
    -> some ApplicationProtocol
{
    let router = buildRouter(config, deps)
    var app = Application(
        router: router,
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: "stripe-sim"),
        services: [TestClockAdvancer(deps: deps)],
        logger: deps.logger)
    app.beforeServerStarts {}
    return app
}

/// The routes. Every API route goes through `APIPipeline`; everything else (unknown paths included) still gets
/// a `Request-Id` and Stripe's error envelope from `StripeMiddleware`.
package func buildRouter(_ config: SimulatorConfiguration, _ deps: AppDependencies) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    if let recorder = deps.recorder {
        router.add(middleware: RecordingMiddleware(recorder: recorder, maxBodyBytes: config.maxBodyBytes))
    }
    router.add(middleware: StripeMiddleware(deps: deps))
    router.add(middleware: FaultMiddleware(faults: deps.faults, logger: deps.logger, maxBodyBytes: config.maxBodyBytes))

    var expansions = Expansions()
    CustomersController.register(&expansions)

    let api = APIRoutes(router: router, pipeline: APIPipeline(deps: deps, expansions: expansions, maxBodyBytes: config.maxBodyBytes))
    CustomersController().addRoutes(to: api)
    EventsController().addRoutes(to: api)
    TestClocksController().addRoutes(to: api)
    V2AccountsController().addRoutes(to: api)
    FaultRulesController(faults: deps.faults).addRoutes(to: api)
    router.get("/healthz") { _, _ in APIPipeline.jsonResponse(status: 200, body: #"{"status": "ok"}"#) }
    return router
}
