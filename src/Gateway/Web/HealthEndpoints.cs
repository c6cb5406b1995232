using ChatGateway.Gateway.Health;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ChatGateway.Gateway.Web;

public sealed record HealthDto(string Status, IReadOnlyDictionary<string, string> Checks);

internal static class HealthEndpoints
{
    /// <summary>
    /// <c>GET /healthz/live</c>: 200 while the process serves requests, whatever the store or Redis do (a restart would
    /// not mend them). <c>GET /healthz/ready</c>, and <c>/healthz</c> as before: 200 only when the store takes writes,
    /// Redis answers and every enabled channel is ready; 503 naming what is not, so a load balancer stops sending
    /// work to this instance until it is.
    /// </summary>
    public static void MapGatewayHealth(this IEndpointRouteBuilder app)
    {
        var health = app.MapGroup("/healthz").WithTags("Health");
        health.MapGet("/live", (HealthCheckService checks, CancellationToken ct) => ReportAsync(checks, _ => false, ct));
        health.MapGet("/ready", (HealthCheckService checks, CancellationToken ct) => ReportAsync(checks, IsReadiness, ct));
        health.MapGet("", (HealthCheckService checks, CancellationToken ct) => ReportAsync(checks, IsReadiness, ct));
    }

    private static bool IsReadiness(HealthCheckRegistration registration) => registration.Tags.Contains(HealthServiceCollectionExtensions.Ready);

    /// <summary>Each check as "ok" or its reason; the channels check as one entry per channel (<c>channel:{id}</c>).</summary>
    private static async Task<IResult> ReportAsync(HealthCheckService checks, Func<HealthCheckRegistration, bool> predicate, CancellationToken ct)
    {
        var report = await checks.CheckHealthAsync(predicate, ct);
        var results = new Dictionary<string, string>();
        foreach (var (name, entry) in report.Entries)
        {
            if (name == HealthServiceCollectionExtensions.Channels)
            {
                foreach (var (id, state) in entry.Data)
                {
                    results["channel:" + id] = state.ToString() ?? "unknown";
                }

                continue;
            }

            results[name] = entry.Status == HealthStatus.Healthy ? "ok" : entry.Description ?? entry.Status.ToString();
        }

        var healthy = report.Status == HealthStatus.Healthy;
        return Results.Json(new HealthDto(healthy ? "healthy" : "unhealthy", results), statusCode: healthy ? 200 : 503);
    }
}
