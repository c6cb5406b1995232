using ChatGateway.Abstractions;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatGateway.Testing.Conformance;

/// <summary>
/// A plugin's real endpoints on a real Kestrel server on 127.0.0.1, hosted as the gateway's ChannelHost.MapEndpoints
/// hosts them: mapped under <c>/channels/{id}</c>, short-circuited after routing, each request running with
/// <c>RequestServices</c> a scope of the instance's own container in front of the app's services. Keep it in step with
/// ChannelHost.MapEndpoints and ChannelRequestServices (the kit cannot reference the gateway).
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

        var group = app.MapGroup($"/channels/{container.Instance.Id}");
        var services = container.Services;
        ((IEndpointConventionBuilder)group).Add(endpoint =>
        {
            if (endpoint.RequestDelegate is { } handler)
            {
                endpoint.RequestDelegate = ChannelScopedServices.Wrap(services, handler);
            }
        });
        group.ShortCircuit();
        plugin.MapEndpoints(group, container.Instance);

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

    /// <summary>The instance's scope in front of the app's services, as the gateway's ChannelRequestServices.</summary>
    private sealed class ChannelScopedServices(IServiceProvider channel, IServiceProvider app) : IServiceProvider, IKeyedServiceProvider
    {
        public static RequestDelegate Wrap(IServiceProvider services, RequestDelegate endpoint) => async context =>
        {
            var original = context.RequestServices;
            await using var scope = services.CreateAsyncScope();
            context.RequestServices = new ChannelScopedServices(scope.ServiceProvider, original);
            try
            {
                await endpoint(context);
            }
            finally
            {
                context.RequestServices = original;
            }
        };

        public object? GetService(Type serviceType) => channel.GetService(serviceType) ?? app.GetService(serviceType);

        public object? GetKeyedService(Type serviceType, object? serviceKey) =>
            (channel as IKeyedServiceProvider)?.GetKeyedService(serviceType, serviceKey) ?? (app as IKeyedServiceProvider)?.GetKeyedService(serviceType, serviceKey);

        public object GetRequiredKeyedService(Type serviceType, object? serviceKey) =>
            GetKeyedService(serviceType, serviceKey) ?? throw new InvalidOperationException($"No keyed service for type '{serviceType}'.");
    }
}
