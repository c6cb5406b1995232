using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ChatGateway.Gateway.Tests.Webhooks;

/// <summary>
/// A shop's receiver on a loopback port (Kestrel): checks every request's signature the way the Standard Webhooks spec
/// says (HMAC-SHA256 keyed with the base64 of the secret after <c>whsec_</c>, over <c>id.timestamp.body</c>, any one of the
/// space-separated <c>v1,</c> signatures), answers as told (2xx, 500, 410, or hangs), and records every request.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    public enum Mode
    {
        Ok,
        Fail,
        Gone,
        Hang,
    }

    public sealed record Received(string Id, long Timestamp, string Signature, string Body, bool Verified, int Answer, DateTimeOffset At)
    {
        public JsonElement Json => JsonDocument.Parse(Body).RootElement;

        public string Type => Json.GetProperty("type").GetString()!;

        /// <summary>The conversation the event is about (its ordering key in the gateway), if any.</summary>
        public string? ConversationId
        {
            get
            {
                var data = Json.GetProperty("data");
                if (data.TryGetProperty("conversation", out var c))
                {
                    return c.GetProperty("id").GetString();
                }

                return data.TryGetProperty("conversationId", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
            }
        }
    }

    private readonly WebApplication _app;
    private readonly List<Received> _received = [];
    private readonly CancellationTokenSource _stop = new();

    private WebhookReceiver(WebApplication app)
    {
        _app = app;
    }

    public Uri Url { get; private set; } = null!;

    public volatile Mode Answer = Mode.Ok;

    /// <summary>The secrets this receiver trusts (a shop keeps the one it was given).</summary>
    public IReadOnlyList<string> Secrets { get; set; } = [];

    public IReadOnlyList<Received> All
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    /// <summary>What a receiver that drops repeats by webhook-id keeps: the first 2xx-answered request of each id, in arrival order.</summary>
    public IReadOnlyList<Received> Accepted => All.Where(r => r.Answer is >= 200 and < 300).GroupBy(r => r.Id).Select(g => g.First()).ToList();

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hooks/chat", receiver.HandleAsync);
        await app.StartAsync();
        receiver.Url = new Uri(app.Urls.First().Replace("0.0.0.0", "127.0.0.1") + "/hooks/chat");
        return receiver;
    }

    private async Task HandleAsync(HttpContext http)
    {
        using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var id = http.Request.Headers["webhook-id"].ToString();
        var timestamp = long.TryParse(http.Request.Headers["webhook-timestamp"].ToString(), out var ts) ? ts : 0;
        var signature = http.Request.Headers["webhook-signature"].ToString();
        var mode = Answer;
        var answer = mode switch { Mode.Ok => 204, Mode.Gone => 410, Mode.Fail => 500, _ => 0 };
        lock (_received)
        {
            _received.Add(new Received(id, timestamp, signature, body, Verify(Secrets, id, timestamp, signature, body), answer, DateTimeOffset.UtcNow));
        }

        if (mode == Mode.Hang)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(60), CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, http.RequestAborted).Token);
            }
            catch (OperationCanceledException)
            {
            }

            return;
        }

        http.Response.StatusCode = answer;
    }

    /// <summary>The spec's check: any signature of the header matches one of the trusted secrets.</summary>
    public static bool Verify(IEnumerable<string> secrets, string id, long timestamp, string header, string body)
    {
        var signed = Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}");
        foreach (var secret in secrets)
        {
            Assert.StartsWith("whsec_", secret);
            var expected = Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String(secret["whsec_".Length..]), signed));
            foreach (var part in header.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var comma = part.IndexOf(',');
                if (comma > 0 && part[..comma] == "v1"
                    && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(part[(comma + 1)..]), Encoding.ASCII.GetBytes(expected)))
                {
                    return true;
                }
            }
        }

        return false;
    }

    public async Task<IReadOnlyList<Received>> WaitForAsync(Func<IReadOnlyList<Received>, bool> done, TimeSpan? timeout = null)
    {
        var until = DateTimeOffset.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var all = All;
            if (done(all))
            {
                return all;
            }

            if (DateTimeOffset.UtcNow > until)
            {
                Assert.Fail("the receiver did not get what was expected; it got: " + string.Join(" | ", all.Select(r => $"{r.Type} {r.Id} {r.Answer}")));
            }

            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _stop.Dispose();
    }
}
