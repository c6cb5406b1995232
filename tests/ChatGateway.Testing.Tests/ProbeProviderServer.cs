using System.Collections.Concurrent;

using ChatGateway.Testing.Conformance;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatGateway.Testing.Tests;

/// <summary>
/// The probe plugin's provider: <c>POST /send</c> on 127.0.0.1, answering 200 or the status it was told to fail with, and
/// <c>POST /reply</c>, refusing every reply token.
/// </summary>
internal sealed class ProbeProviderServer : IFakeProviderApi
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<string?> _keys = new();
    private readonly ConcurrentQueue<int> _failures = new();

    private ProbeProviderServer(WebApplication app) => _app = app;

    public IReadOnlyDictionary<string, string?> Settings { get; private set; } = new Dictionary<string, string?>();

    public IReadOnlyList<string?> SendKeys => [.. _keys];

    public void FailNextSend(int statusCode) => _failures.Enqueue(statusCode);

    public static async Task<ProbeProviderServer> StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Urls.Clear();
        app.Urls.Add("http://127.0.0.1:0");
        var server = new ProbeProviderServer(app);
        // No reply token is ever valid here: the provider's answer to a used or expired one.
        app.MapPost("/reply", () => Results.Json(new { error = "Invalid reply token" }, statusCode: StatusCodes.Status400BadRequest));
        app.MapPost("/send", (HttpContext context) =>
        {
            server._keys.Enqueue(context.Request.Headers.TryGetValue("Idempotency-Key", out var key) ? key.ToString() : null);
            return server._failures.TryDequeue(out var status)
                ? Results.Json(new { error = "told to fail" }, statusCode: status)
                : Results.Json(new { id = Guid.NewGuid() });
        });
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        server.Settings = new Dictionary<string, string?> { ["ApiBaseAddress"] = address.TrimEnd('/') + "/" };
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
