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
package func buildApplication(
    _ config: SimulatorConfiguration,
    _ deps: AppDependencies
) async throws
    -> some ApplicationProtocol
{
    let router = buildRouter(config, deps)
    try await configureForwarding(config, deps)
    let scheduler = Scheduler(deps: deps, handlers: jobHandlers())
    var app = Application(
        router: router,
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: "stripe-sim"),
        services: [
            scheduler,
            TestClockAdvancer(deps: deps, scheduler: scheduler),
            WebhookDispatcher(deps: deps, schedule: config.webhookRetrySchedule, timeout: config.webhookTimeout),
        ],
        logger: deps.logger
    )
    app.beforeServerStarts {}
    return app
}

/// Stores the `--forward-to` target (or turns a previous run's off) before any request can write an event.
private func configureForwarding(_ config: SimulatorConfiguration, _ deps: AppDependencies) async throws {
    guard let url = config.forwardTo else {
        try await deps.database.configureForwarding(nil, now: deps.clock.unixNow)
        return
    }
    let secret = config.forwardSecret ?? WebhookEndpoint.makeSecret()
    try await deps.database.configureForwarding(
        ForwardTarget(url: url, secret: secret, events: config.forwardEvents),
        now: deps.clock.unixNow
    )
    deps.logger.info(
        "forwarding \(config.forwardEvents.joined(separator: ",")) events to \(url), signed with \(WebhookSignature.mask(secret))"
    )
}

/// The routes (see `SimulatorRouter`). Every API route goes through `APIPipeline`; everything else (unknown paths
/// included) still gets a `Request-Id` and Stripe's error envelope from `StripeMiddleware`, except the HTML pages
/// (the hosted flow's `HostedFlowPages` and `/v3/`, and the dashboard), which render their own errors as HTML.
package func buildRouter(_ config: SimulatorConfiguration, _ deps: AppDependencies) -> SimulatorRouter {
    let router = Router(context: AppRequestContext.self)
    if let recorder = deps.recorder {
        router.add(middleware: RecordingMiddleware(recorder: recorder, maxBodyBytes: config.maxBodyBytes))
    }
    router.add(middleware: StripeMiddleware(deps: deps))
    router.add(middleware: FaultMiddleware(faults: deps.faults, logger: deps.logger, maxBodyBytes: config.maxBodyBytes))

    var expansions = Expansions()
    CustomersController.register(&expansions)
    PaymentIntentsController.register(&expansions)
    FCAccountsController.register(&expansions)

    let api = APIRoutes(
        router: router,
        pipeline: APIPipeline(deps: deps, expansions: expansions, maxBodyBytes: config.maxBodyBytes)
    )
    CustomersController().addRoutes(to: api)
    EventsController().addRoutes(to: api)
    TestClocksController().addRoutes(to: api)
    WebhookEndpointsController().addRoutes(to: api)
    WebhookDeliveriesController().addRoutes(to: api)
    V2AccountsController().addRoutes(to: api)
    FCSessionsController().addRoutes(to: api)
    FCAccountsController().addRoutes(to: api)
    FCTestHelpersController().addRoutes(to: api)
    PaymentMethodsController().addRoutes(to: api)
    PaymentIntentsController().addRoutes(to: api)
    SetupIntentsController().addRoutes(to: api)
    MandatesController().addRoutes(to: api)
    ChargesController().addRoutes(to: api)
    HostedFlowPages(deps: deps).addRoutes(to: router)
    FaultRulesController(faults: deps.faults).addRoutes(to: api)
    router.get("/healthz") { _, _ in APIPipeline.jsonResponse(status: 200, body: #"{"status": "ok"}"#) }
    // The dashboard at `/` (HTML; one account at a time, chosen by key): see `Dashboard.Controller`.
    Dashboard.Controller(deps: deps).addRoutes(to: router)
    return SimulatorRouter(api: api.table, fallback: router, apiRoutes: api.descriptions)
}

/// Every kind of time-driven job and what runs it.
package func jobHandlers() -> [String: JobHandler] {
    [
        ACHEngine.settleJob: ACHEngine.settle,
        ACHEngine.disputeJob: ACHEngine.dispute,
        ACHEngine.microdepositTimeoutJob: ACHEngine.microdepositTimeout,
        FCEngine.refreshJob: FCEngine.finishRefresh,
        FCEngine.deactivateJob: FCEngine.deactivate,
        FCEngine.accountNumbersJob: FCEngine.accountNumbersEvent,
    ]
}
