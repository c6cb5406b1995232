using ChatGateway.Gateway.Plugins;
using ChatGateway.Gateway.Redis;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Web;

public sealed record HealthDto(string Status, IReadOnlyDictionary<string, string> Checks);

internal static class HealthEndpoints
{
    /// <summary><c>GET /healthz</c>: 200 only when the store, Redis and every enabled channel are ready; 503 with reasons otherwise.</summary>
    public static void MapGatewayHealth(this IEndpointRouteBuilder app) => app.MapGet("/healthz", async (
        IDbContextFactory<GatewayDbContext> dbFactory, RedisConnection redis, ChannelHost channels, CancellationToken ct) =>
    {
        var checks = new Dictionary<string, string>();
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            checks["store"] = await db.Database.CanConnectAsync(ct) ? "ok" : "cannot connect";
        }
        catch (Exception ex)
        {
            checks["store"] = ex.GetType().Name;
        }

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            var database = await redis.GetDatabaseAsync().WaitAsync(timeout.Token);
            await database.PingAsync().WaitAsync(timeout.Token);
            checks["redis"] = "ok";
        }
        catch (Exception ex)
        {
            checks["redis"] = ex.GetType().Name;
        }

        var problems = await channels.CheckReadinessAsync(ct);
        foreach (var channel in channels.Channels.Where(c => c.Entry.Enabled))
        {
            checks["channel:" + channel.Entry.Id] = problems.TryGetValue(channel.Entry.Id, out var reason) ? reason : "ok";
        }

        var healthy = checks.Values.All(v => v == "ok");
        return Results.Json(new HealthDto(healthy ? "healthy" : "unhealthy", checks), statusCode: healthy ? 200 : 503);
    }).WithTags("Health");
}
