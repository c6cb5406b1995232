using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatGateway.Gateway.Tests.Infrastructure;

namespace ChatGateway.Gateway.Tests.Rich;

/// <summary>
/// A gateway with the Rich test channel (instance <c>mail</c>: files, HTML, threads, like email) beside the web chat,
/// and the test playing the channel's provider: it posts customers' messages and reads what the gateway sent.
/// </summary>
public sealed class RichChannel : IAsyncDisposable
{
    public const string Instance = "mail";

    /// <summary>A real 1×1 PNG.</summary>
    public static readonly byte[] Png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");

    private RichChannel(GatewayHost host) => Host = host;

    public GatewayHost Host { get; }

    public HttpClient Provider { get; private set; } = null!;

    /// <param name="secondInstance">Also a second instance of the channel, <c>mail2</c> (the same customer's second mailbox).</param>
    public static async Task<RichChannel> StartAsync(string instanceSettings = "{}", IDictionary<string, string?>? settings = null, bool secondInstance = false, TimeProvider? clock = null)
    {
        var plugins = "{ \"plugins\": [\n" +
            """{ "id": "webchat", "plugin": "WebChat", "enabled": true, "settings": { "MaxMessageLength": 500, "AllowedOrigins": ["https://shop.example.com"] } },""" + "\n" +
            """{ "id": "probe", "plugin": "VersionProbeA", "enabled": true, "settings": { "Greeting": "hello from A" } },""" + "\n" +
            (secondInstance ? """{ "id": "mail2", "plugin": "Rich", "enabled": true, "settings": {} },""" + "\n" : "") +
            $$"""{ "id": "{{Instance}}", "plugin": "Rich", "enabled": true, "settings": {{instanceSettings}} }""" + "\n] }";
        var host = await GatewayHost.StartAsync(pluginsJson: plugins, settings: settings, clock: clock);
        return new RichChannel(host) { Provider = host.CreateClient() };
    }

    public static object File(string name, string? type, byte[] bytes, string? contentId = null) =>
        new { name, type, base64 = Convert.ToBase64String(bytes), contentId };

    /// <summary>Posts a customer's message; returns the channel's answer (messageId, conversationId, refused files, saved files).</summary>
    public async Task<JsonElement> SendAsync(object message, HttpStatusCode expected = HttpStatusCode.OK, string instance = Instance)
    {
        var response = await Provider.PostAsJsonAsync($"/channels/{instance}/inbound", message);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(expected == response.StatusCode, $"expected {expected}, got {response.StatusCode}: {body}");
        return body;
    }

    /// <summary>Waits for the gateway to send a message matching <paramref name="match"/> on the channel.</summary>
    public async Task<JsonElement> SentAsync(Func<JsonElement, bool> match, TimeSpan? timeout = null, string instance = Instance)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            var sent = await Provider.GetFromJsonAsync<JsonElement[]>($"/channels/{instance}/sent");
            if (sent!.FirstOrDefault(match) is { ValueKind: JsonValueKind.Object } found)
            {
                return found;
            }

            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException("the gateway sent nothing matching on the channel; sent: " + JsonSerializer.Serialize(sent));
            }

            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Provider.Dispose();
        await Host.DisposeAsync();
    }
}
