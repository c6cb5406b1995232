using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ChatGateway.Abstractions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatGateway.Plugins.ShopOrders.Tests;

/// <summary>
/// The plugin's endpoint on a real Kestrel server under <c>/channels/{id}</c>, its instance container built the way the
/// gateway builds it, with a recording sink in the gateway's place and the clock standing still.
/// </summary>
internal sealed class ShopOrdersTestHost : IAsyncDisposable
{
    public const string Id = "orders-test";
    // Obviously fake test secrets.
    public const string StandardSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    public const string ShopifySecret = "shpss_test-client-secret-for-order-webhooks";
    public static readonly DateTimeOffset Now = new(2026, 12, 7, 10, 0, 0, TimeSpan.FromHours(8));

    private readonly WebApplication _app;
    private readonly ServiceProvider _services;

    private ShopOrdersTestHost(WebApplication app, ServiceProvider services, HttpClient client, RecordingOrderEventSink sink)
    {
        _app = app;
        _services = services;
        Client = client;
        Sink = sink;
    }

    public HttpClient Client { get; }

    public RecordingOrderEventSink Sink { get; }

    public static async Task<ShopOrdersTestHost> StartAsync(string format = "standard")
    {
        var settings = new Dictionary<string, string?>
        {
            ["Format"] = format,
            ["Secret"] = format == "shopify" ? ShopifySecret : StandardSecret,
        };
        var instance = new ChannelInstance(Id, "ShopOrders", new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        var sink = new RecordingOrderEventSink();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddOptions();
        services.AddSingleton<TimeProvider>(new FixedTimeProvider(Now));
        services.AddSingleton<IOrderEventSink>(sink);
        new ShopOrdersPlugin().ConfigureServices(instance, services);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Urls.Clear();
        app.Urls.Add("http://127.0.0.1:0");
        app.Use(async (context, next) =>
        {
            await using var scope = provider.CreateAsyncScope();
            context.RequestServices = scope.ServiceProvider;
            await next(context);
        });
        new ShopOrdersPlugin().MapEndpoints(app.MapGroup($"/channels/{Id}"), instance);
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new ShopOrdersTestHost(app, provider, new HttpClient { BaseAddress = new Uri(address) }, sink);
    }

    /// <summary>Posts <paramref name="body"/> signed per Standard Webhooks, at <paramref name="signedAt"/> (now by default).</summary>
    public Task<HttpResponseMessage> PostStandardAsync(string body, string eventId = "msg_1", DateTimeOffset? signedAt = null)
    {
        var timestamp = (signedAt ?? Now).ToUnixTimeSeconds();
        var key = Convert.FromBase64String(StandardSecret["whsec_".Length..]);
        var signature = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{eventId}.{timestamp}.{body}")));
        var request = Request(body);
        request.Headers.Add("webhook-id", eventId);
        request.Headers.Add("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", signature);
        return Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>Posts <paramref name="body"/> as Shopify does, signed with <paramref name="secret"/>.</summary>
    public Task<HttpResponseMessage> PostShopifyAsync(string topic, string body, string secret = ShopifySecret, string? webhookId = "shopify-1")
    {
        var request = Request(body);
        request.Headers.Add("X-Shopify-Topic", topic);
        if (webhookId is not null)
        {
            request.Headers.Add("X-Shopify-Webhook-Id", webhookId);
        }

        request.Headers.Add("X-Shopify-Hmac-Sha256", Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body))));
        return Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public static HttpRequestMessage Request(string body) =>
        new(HttpMethod.Post, $"/channels/{Id}/events") { Content = new StringContent(body, Encoding.UTF8, "application/json") };

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.DisposeAsync();
        await _services.DisposeAsync();
    }

    private sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now.ToUniversalTime();
    }
}

/// <summary>The gateway's side, played: records each event, answers a set result or refuses as told.</summary>
internal sealed class RecordingOrderEventSink : IOrderEventSink
{
    private readonly List<OrderEvent> _events = [];

    public IReadOnlyList<OrderEvent> Events
    {
        get
        {
            lock (_events)
            {
                return [.. _events];
            }
        }
    }

    /// <summary>When set, the next events are refused with it, as the gateway refuses an event that cannot apply.</summary>
    public OrderEventRejectedException? Refusal { get; set; }

    public Task<OrderEventResult> AcceptAsync(OrderEvent orderEvent, CancellationToken cancellationToken)
    {
        if (Refusal is { } refusal)
        {
            throw refusal;
        }

        lock (_events)
        {
            _events.Add(orderEvent);
        }

        return Task.FromResult(new OrderEventResult(Guid.Parse("0193a5b0-0000-7000-8000-000000000001"), "paid", Duplicate: false));
    }
}
