using System.Collections.Concurrent;
using System.Text.Json;

using ChatGateway.Testing.Conformance;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatGateway.Plugins.WhatsApp.Tests;

/// <summary>
/// WhatsApp's send API on a local Kestrel (127.0.0.1, a free port), speaking its wire format:
/// <c>POST /v1/messages</c> with a Bearer token and a JSON body <c>{"to","text"}</c>, answered <c>{"id":"msg-N"}</c> or an
/// error <c>{"error":{"code","message"}}</c>. Like many real providers it refuses a body without Content-Length (411).
/// </summary>
internal sealed class FakeWhatsAppApi : IFakeProviderApi
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<int> _failures = new();
    private readonly ConcurrentQueue<SentMessage> _sent = new();
    private readonly ConcurrentQueue<string?> _keys = new();
    private int _count;

    private FakeWhatsAppApi(WebApplication app) => _app = app;

    /// <summary>A message the fake accepted.</summary>
    public sealed record SentMessage(string? To, string? Text, string? IdempotencyKey);

    public Uri BaseAddress { get; private set; } = null!;

    public IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["ApiBaseAddress"] = BaseAddress.ToString(),
        ["AccessToken"] = WhatsAppTestInstance.AccessToken,
    };

    public IReadOnlyList<string?> SendKeys => [.. _keys];

    public IReadOnlyList<SentMessage> Sent => [.. _sent];

    public static async Task<FakeWhatsAppApi> StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        var fake = new FakeWhatsAppApi(app);
        app.MapPost("/v1/messages", (Func<HttpContext, Task<IResult>>)fake.HandleSendAsync);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        fake.BaseAddress = new Uri(address.TrimEnd('/') + "/");
        return fake;
    }

    public void FailNextSend(int statusCode) => _failures.Enqueue(statusCode);

    private async Task<IResult> HandleSendAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.Headers.Authorization.ToString() != $"Bearer {WhatsAppTestInstance.AccessToken}")
        {
            return Error(StatusCodes.Status401Unauthorized, "unauthorized", "invalid access token");
        }

        if (request.ContentLength is null)
        {
            return Error(StatusCodes.Status411LengthRequired, "length_required", "Content-Length is required");
        }

        var key = request.Headers["Idempotency-Key"].ToString();
        _keys.Enqueue(key.Length == 0 ? null : key);
        if (_failures.TryDequeue(out var failure))
        {
            return Error(failure, failure == 429 ? "rate_limited" : failure >= 500 ? "internal" : "invalid_request", $"failed as the test asked ({failure})");
        }

        using var body = await JsonDocument.ParseAsync(request.Body, cancellationToken: context.RequestAborted);
        var to = body.RootElement.TryGetProperty("to", out var t) ? t.GetString() : null;
        var text = body.RootElement.TryGetProperty("text", out var x) ? x.GetString() : null;
        if (string.IsNullOrEmpty(to) || string.IsNullOrEmpty(text))
        {
            return Error(StatusCodes.Status400BadRequest, "invalid_request", "to and text are required");
        }

        _sent.Enqueue(new SentMessage(to, text, key));
        return Results.Json(new { id = $"msg-{Interlocked.Increment(ref _count)}" });
    }

    private static IResult Error(int status, string code, string message) =>
        Results.Json(new { error = new { code, message } }, statusCode: status);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
