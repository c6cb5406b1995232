using ChatGateway.Abstractions;
using ChatGateway.Abstractions.Hosting;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatGateway.Testing.Conformance;

/// <summary>
/// A plugin's real endpoints on a real Kestrel server on 127.0.0.1, mapped by the gateway's own code
/// (<see cref="ChannelEndpoints.Map"/>): under <c>/channels/{id}</c>, short-circuited after routing, each request running
/// with <c>RequestServices</c> a scope of the instance's own container in front of the app's services.
/// </summary>
public sealed class ChannelEndpointHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ChannelEndpointHost(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>Where the server listens, e.g. <c>http://127.0.0.1:54321/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>A client of the server (a real HTTP connection).</summary>
    public HttpClient Client { get; }

    /// <summary>The full URL of a path under the instance's group, e.g. <c>messages</c> → <c>http://127.0.0.1:port/channels/{id}/messages</c>.</summary>
    public Uri UrlFor(ChannelInstance instance, string path)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(path);
        return new Uri(BaseAddress, $"channels/{instance.Id}/{path.TrimStart('/')}");
    }

    public static async Task<ChannelEndpointHost> StartAsync(IChannelPlugin plugin, ChannelInstanceContainer container, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plugin);
        ArgumentNullException.ThrowIfNull(container);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Urls.Clear();
        app.Urls.Add("http://127.0.0.1:0");

        ChannelEndpoints.Map(app, plugin, container.Instance, container.Services);

        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new ChannelEndpointHost(app, new Uri(address.TrimEnd('/') + "/"));
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
