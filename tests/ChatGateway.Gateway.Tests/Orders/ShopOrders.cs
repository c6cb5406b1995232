using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ChatGateway.Gateway.FollowUps;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ChatGateway.Gateway.Tests.Orders;

/// <summary>
/// A shop's order system as the tests play it: a gateway with the web chat, SMS (to a fake Twilio) and an order events
/// instance <c>orders</c> in the generic format, with events signed the way the Standard Webhooks spec says, by hand.
/// </summary>
internal sealed class ShopOrders : IAsyncDisposable
{
    public const string PublicBaseUrl = "https://shop.example.com";
    public const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    public const string ShopifySecret = "shpss_test-client-secret-for-order-webhooks";
    public static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    private int _events;
    private bool _ownsTwilio;

    private ShopOrders(GatewayHost host, FakeTwilioServer twilio, FakeTimeProvider? clock)
    {
        Host = host;
        Twilio = twilio;
        Clock = clock!;
        Http = host.CreateClient();
    }

    public GatewayHost Host { get; }
    public FakeTwilioServer Twilio { get; }
    /// <summary>The fake clock; null when the gateway runs on the real one.</summary>
    public FakeTimeProvider Clock { get; }

    public DateTimeOffset Now => (Clock as TimeProvider ?? TimeProvider.System).GetUtcNow();

    /// <summary>Stops the gateway but keeps the fake Twilio (for a restart on the same data directory).</summary>
    public async Task StopGatewayAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
    }
    public HttpClient Http { get; }

    /// <summary>A gateway whose clock stands at <paramref name="shopTime"/> (Asia/Shanghai unless the settings say otherwise).</summary>
    public static async Task<ShopOrders> StartAsync(
        DateTimeOffset? shopTime, IDictionary<string, string?>? settings = null, string? dataDirectory = null, FakeTwilioServer? twilio = null,
        StoreProvider? store = null, bool secondShop = false, bool shopify = false)
    {
        if (GatewayHost.DefaultBackend == RedisBackend.Redis)
        {
            // Orders and follow-ups keep nothing in Redis of their own: they run in the Garnet passes (SQLite and PostgreSQL).
            Assert.Skip("orders and follow-ups run in the embedded Garnet passes");
        }

        var owns = twilio is null;
        twilio ??= await FakeTwilioServer.StartAsync(GatewayHost.SmsAccountSid, GatewayHost.SmsAuthToken);
        var clock = shopTime is { } at ? new FakeTimeProvider(at) : null;
        var all = new Dictionary<string, string?>
        {
            ["Channels:orders:Secret"] = Secret,
            ["BusinessHours:TimeZone"] = "Asia/Shanghai",
            ["Scheduler:IdleWait"] = "00:00:01",
        };
        if (shopTime is not null)
        {
            // On the fake clock the test is the scheduler (FireDueAsync), so that what fires when is the test's to say;
            // Quartz firing on its own is QuartzSchedulingTests' subject, on the real clock.
            all["Scheduler:Run"] = "false";
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var plugins = GatewayHost.DefaultPluginsJson(twilio.BaseAddress.ToString(), PublicBaseUrl)
            .Replace("\n] }", ",\n{ \"id\": \"orders\", \"plugin\": \"ShopOrders\", \"enabled\": true, \"settings\": { \"Format\": \"standard\" } }\n] }", StringComparison.Ordinal);
        if (secondShop)
        {
            // Another order system of the same shop (e.g. a marketplace store), instance orders2, with order ids of its own.
            all["Channels:orders2:Secret"] = Secret;
            plugins = plugins.Replace("\n] }", ",\n{ \"id\": \"orders2\", \"plugin\": \"ShopOrders\", \"enabled\": true, \"settings\": { \"Format\": \"standard\" } }\n] }", StringComparison.Ordinal);
        }

        if (shopify)
        {
            // A Shopify store's order webhooks, instance shopify.
            all["Channels:shopify:Secret"] = ShopifySecret;
            plugins = plugins.Replace("\n] }", ",\n{ \"id\": \"shopify\", \"plugin\": \"ShopOrders\", \"enabled\": true, \"settings\": { \"Format\": \"shopify\" } }\n] }", StringComparison.Ordinal);
        }

        var host = GatewayHost.Create(GatewayHost.DefaultBackend, plugins, all, dataDirectory, clock, storeProvider: store);
        await host.StartServerAsync();

        return new ShopOrders(host, twilio, clock) { _ownsTwilio = owns };
    }

    /// <summary>Signs and posts an order event; returns the answer.</summary>
    public async Task<HttpResponseMessage> PostAsync(
        string type, object data, string? eventId = null, DateTimeOffset? signedAt = null, string? secret = null, string instance = "orders")
    {
        var body = JsonSerializer.Serialize(new { type, data });
        return await Http.SendAsync(Signed(body, eventId ?? $"msg_{Interlocked.Increment(ref _events)}_{Guid.NewGuid():N}", signedAt ?? Now, secret ?? Secret, instance: instance));
    }

    /// <summary>Posts a Shopify webhook of <paramref name="topic"/> to the instance <c>shopify</c>, signed as Shopify signs (base64 HMAC-SHA256 of the body).</summary>
    public Task<HttpResponseMessage> PostShopifyAsync(string topic, object payload) => PostShopifyAsync(topic, JsonSerializer.Serialize(payload));

    /// <summary>Posts <paramref name="body"/> as it is, signed as Shopify signs; a redelivery repeats <paramref name="webhookId"/>.</summary>
    public async Task<HttpResponseMessage> PostShopifyAsync(string topic, string body, string? webhookId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/channels/shopify/events") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Shopify-Topic", topic);
        request.Headers.Add("X-Shopify-Webhook-Id", webhookId ?? $"shopify-{Interlocked.Increment(ref _events)}-{Guid.NewGuid():N}");
        request.Headers.Add("X-Shopify-Hmac-Sha256", Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(ShopifySecret), Encoding.UTF8.GetBytes(body))));
        return await Http.SendAsync(request);
    }

    /// <summary>A Shopify payload the tests replay, as Shopify sends it (Payloads/Shopify).</summary>
    public static string ShopifyPayload(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Payloads", "Shopify", name + ".json"));

    public static HttpRequestMessage Signed(
        string body, string eventId, DateTimeOffset signedAt, string secret = Secret, string contentType = "application/json", string instance = "orders")
    {
        var timestamp = signedAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var signature = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{eventId}.{timestamp}.{body}")));
        var request = new HttpRequestMessage(HttpMethod.Post, $"/channels/{instance}/events") { Content = new StringContent(body, Encoding.UTF8, contentType) };
        request.Headers.Add("webhook-id", eventId);
        request.Headers.Add("webhook-timestamp", timestamp);
        request.Headers.Add("webhook-signature", signature);
        return request;
    }

    public static object Created(string orderId, DateTimeOffset placedAt, string phone = "+8613800138000", string name = "李雷") => new
    {
        orderId,
        createdAt = placedAt.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture),
        buyer = new { phone, name },
        items = new[] { new { title = "羊毛围巾", quantity = 1, price = "199.00" } },
        amount = "199.00",
        currency = "CNY",
    };

    public static DateTimeOffset ShopTime(int year, int month, int day, int hour, int minute = 0) =>
        new(year, month, day, hour, minute, 0, TimeSpan.FromHours(8));

    public async Task<List<FollowUp>> FollowUpsAsync(string orderId)
    {
        await using var db = Host.CreateDbContext();
        var order = await db.Orders.SingleAsync(o => o.ExternalOrderId == orderId);
        return await db.FollowUps.AsNoTracking().Where(f => f.OrderId == order.Id).OrderBy(f => f.Kind).ThenBy(f => f.Step).ToListAsync();
    }

    /// <summary>Moves the clock and fires every planned follow-up due by then, as the scheduler's job does.</summary>
    public async Task FireDueAsync(DateTimeOffset until)
    {
        if (until > Clock.GetUtcNow())
        {
            Clock.SetUtcNow(until);
        }

        var firer = Host.Services.GetRequiredService<IFollowUpFirer>();
        for (var round = 0; round < 5; round++)
        {
            await using var db = Host.CreateDbContext();
            var now = Clock.GetUtcNow();
            var due = (await db.FollowUps.AsNoTracking().Where(f => f.Status == FollowUpStatus.Planned).Select(f => new { f.Id, f.DueAt }).ToListAsync())
                .Where(f => f.DueAt <= now).OrderBy(f => f.DueAt).Select(f => f.Id).ToList();
            if (due.Count == 0)
            {
                return;
            }

            // In one batch, as the scheduler's job fires what is due in a second.
            await firer.FireAsync(due, CancellationToken.None);
        }
    }

    public async Task<JsonElement> GetOrderAsync(AgentSession agent, string orderId) =>
        await agent.Http.GetFromJsonAsync<JsonElement>($"/api/orders/{orderId}");

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
        if (_ownsTwilio)
        {
            await Twilio.DisposeAsync();
        }
    }
}
