using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ChatGateway.Gateway.FollowUps;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Testing;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Tests.Orders;

/// <summary>
/// Two gateway processes on one PostgreSQL (Quartz clustered on it) and one redis-server: thirty follow-ups come due at the
/// same moment and one instance is killed with SIGKILL while they fire. Each follow-up must end sent exactly once, with
/// one stored message, and reach the buyer; whatever the dead instance had claimed is taken over by the other.
/// </summary>
public sealed class FollowUpClusterTests
{
    private const int Orders = 30;

    [Fact]
    public async Task FollowUpsDueTogether_OnTwoInstances_OneKilledMidFire_EachIsSentOnce()
    {
        OncePerRun.Require();
        await using var twilio = await FakeTwilioServer.StartAsync(GatewayHost.SmsAccountSid, GatewayHost.SmsAuthToken);
        var plugins = $$"""
            { "plugins": [
              { "id": "sms-main", "plugin": "Sms", "enabled": true, "settings": { "AccountSid": "{{GatewayHost.SmsAccountSid}}", "FromNumber": "+15005550006", "PublicBaseUrl": "{{ShopOrders.PublicBaseUrl}}", "ApiBaseAddress": "{{twilio.BaseAddress}}" } },
              { "id": "orders", "plugin": "ShopOrders", "enabled": true, "settings": { "Format": "standard" } } ] }
            """;
        var cluster = GatewayProcess.Cluster.Create(plugins, StoreProvider.PostgreSql);
        var settings = new Dictionary<string, string>
        {
            ["Channels__sms-main__AuthToken"] = GatewayHost.SmsAuthToken,
            ["Channels__orders__Secret"] = ShopOrders.Secret,
            ["BusinessHours__TimeZone"] = "UTC",
            ["FollowUps__QuietHours"] = "00:00-00:00",
            ["Scheduler__IdleWait"] = "00:00:01",
            ["Scheduler__CheckinInterval"] = "00:00:01",
            ["Delivery__AttemptTimeout"] = "00:00:02",
        };
        var a = await GatewayProcess.StartAsync(cluster, settings);
        await using var b = await GatewayProcess.StartAsync(cluster, settings);
        using var httpA = a.CreateClient();

        // Thirty buyers' orders, each confirmation due at the same moment some seconds ahead.
        var due = DateTimeOffset.UtcNow.AddSeconds(15);
        var answers = await Task.WhenAll(Enumerable.Range(0, Orders).Select(async i =>
        {
            var data = ShopOrders.Created($"C{i:00}", due, phone: $"+86139000{i:00000}", name: $"买家{i}");
            var body = JsonSerializer.Serialize(new { type = "order.created", data });
            using var answer = await httpA.SendAsync(ShopOrders.Signed(body, $"msg_cluster_{i}", DateTimeOffset.UtcNow));
            return answer.StatusCode;
        }));
        Assert.All(answers, status => Assert.Equal(HttpStatusCode.OK, status));

        // Kill A just as they come due: its fires in flight are recovered by B.
        var wait = due - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(150);
        await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero);
        a.Kill();
        await a.DisposeAsync();

        var deadline = DateTime.UtcNow.AddSeconds(90);
        List<FollowUp> confirmations;
        do
        {
            await Task.Delay(500);
            await using var db = cluster.CreateDbContext();
            confirmations = await db.FollowUps.AsNoTracking().Where(f => f.Kind == FollowUpKinds.OrderConfirmation && f.Step == 1).ToListAsync();
        }
        while (confirmations.Any(f => f.Status == FollowUpStatus.Planned) && DateTime.UtcNow < deadline);

        Assert.Equal(Orders, confirmations.Count);
        Assert.All(confirmations, f => Assert.Equal(FollowUpStatus.Sent, f.Status));
        await using (var db = cluster.CreateDbContext())
        {
            var ids = confirmations.Select(f => f.Id).ToList();
            Assert.Equal(Orders, await db.Messages.CountAsync(m => ids.Contains(m.Id)));
        }

        // Every buyer hears from the shop (a send the dead instance had in flight is sent again by the other after its lease).
        var until = DateTime.UtcNow.AddSeconds(60);
        while (Enumerable.Range(0, Orders).Any(i => !twilio.Requests.Any(r => r.To == $"+86139000{i:00000}")) && DateTime.UtcNow < until)
        {
            await Task.Delay(500);
        }

        Assert.All(Enumerable.Range(0, Orders), i => Assert.Contains(twilio.Requests, r => r.To == $"+86139000{i:00000}" && r.Body!.Contains($"C{i:00}", StringComparison.Ordinal)));
    }
}
