using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ChatGateway.Gateway.Telemetry;

/// <summary>
/// OpenTelemetry for operators: the gateway's meter with ASP.NET Core's, HttpClient's and the runtime's, scraped at
/// <c>/metrics</c> when <c>Metrics:Prometheus</c> is true, and with traces exported over OTLP when the standard
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set; with neither, nothing listens. Log entries carry the trace and span ids of the request or step they
/// were written in while traces are on.
/// </summary>
internal static class TelemetrySetup
{
    public static WebApplicationBuilder AddGatewayTelemetry(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<MetricsOptions>().Bind(builder.Configuration.GetSection("Metrics"));
        services.AddSingleton<IValidateOptions<MetricsOptions>, MetricsOptionsValidator>();
        services.AddOptions<MetricsOptions>().ValidateOnStart();
        services.AddSingleton<GatewayMetrics>();
        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);

        // Nothing listens unless something reads the metrics: with neither /metrics nor OTLP, an instrument's update is a
        // check of a flag (ingest's figures are measured that way).
        var prometheus = builder.Configuration.GetValue<bool>("Metrics:Prometheus");
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        services.AddSingleton(new TelemetryMode(prometheus));
        if (!prometheus && !otlp)
        {
            return builder;
        }

        services.AddHostedService<QueueDepthSampler>();
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("chatgateway", autoGenerateServiceInstanceId: true))
            .WithMetrics(m =>
            {
                m.AddMeter(GatewayMetrics.Name).AddAspNetCoreInstrumentation().AddHttpClientInstrumentation().AddRuntimeInstrumentation();
                if (prometheus)
                {
                    m.AddPrometheusExporter();
                }
            });
        if (otlp)
        {
            telemetry
                .WithTracing(t => t.AddSource(GatewayMetrics.Name).AddAspNetCoreInstrumentation().AddHttpClientInstrumentation())
                .UseOtlpExporter();
        }

        return builder;
    }

    /// <summary><c>/metrics</c> in Prometheus' text format when <c>Metrics:Prometheus</c> is true; otherwise nothing is mapped (404).</summary>
    public static void MapGatewayMetrics(this WebApplication app)
    {
        if (app.Services.GetRequiredService<TelemetryMode>().Prometheus)
        {
            app.MapPrometheusScrapingEndpoint("/metrics");
        }
    }
}

/// <summary>What start-up turned on (read from the configuration before the services were built).</summary>
internal sealed record TelemetryMode(bool Prometheus);

internal sealed class MetricsOptionsValidator : IValidateOptions<MetricsOptions>
{
    public ValidateOptionsResult Validate(string? name, MetricsOptions options) =>
        options.QueueDepthInterval <= TimeSpan.Zero || options.QueueDepthInterval > TimeSpan.FromHours(1)
            ? ValidateOptionsResult.Fail($"Metrics:QueueDepthInterval must be between 00:00:01 and 01:00:00 (is {options.QueueDepthInterval}).")
            : ValidateOptionsResult.Success;
}
