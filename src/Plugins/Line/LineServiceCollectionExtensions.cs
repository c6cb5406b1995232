using System.Net.Http.Headers;

using ChatGateway.Abstractions;
using ChatGateway.Plugins.Line.Api;
using ChatGateway.Plugins.Line.Profiles;
using ChatGateway.Plugins.Line.Sending;

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

using Refit;

namespace ChatGateway.Plugins.Line;

internal static class LineServiceCollectionExtensions
{
    /// <summary>Registers one LINE instance into its private container.</summary>
    public static IServiceCollection AddLine(this IServiceCollection services, ChannelInstance instance)
    {
        services.AddOptions<LineOptions>().Bind(instance.Settings).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LineOptions>>(new LineOptionsValidator(instance)));

        // The source-generated client: Refit's reflection builder (AddRefitClient) compiles, then fails at the first call
        // in a plugin's load context.
        services.AddRefitGeneratedClient<ILineApi>(_ => CreateRefitSettings())
            .ConfigureHttpClient((provider, client) =>
            {
                var options = provider.GetRequiredService<IOptionsMonitor<LineOptions>>().CurrentValue;
                client.BaseAddress = new Uri(options.ApiBaseAddress);
                client.Timeout = options.RequestTimeout;
                client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.ChannelAccessToken);
            })
            // IHttpClientFactory logs each request's URL at Information, and LINE's URLs hold user ids (/v2/bot/profile/U…).
            .RemoveAllLoggers();

        // Content (api-data.line.me) and profile pictures: plain downloads, each with its own time limit.
        services.AddHttpClient(LineContentClient.HttpClientName)
            .ConfigureHttpClient(client => client.Timeout = Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers();
        services.TryAddTransient<LineContentClient>();

        // One profile worker and one cache per instance; the worker is the hosted service itself, not a second copy.
        services.TryAddSingleton<LineProfileCache>();
        services.TryAddSingleton<LineProfileService>();
        services.AddHostedService(provider => provider.GetRequiredService<LineProfileService>());

        // Transient: each send takes a fresh client from IHttpClientFactory, so handlers rotate.
        services.TryAddTransient<IChannelSender, LineSender>();
        return services;
    }

    private static RefitSettings CreateRefitSettings() => new()
    {
        // Refit streams a JSON body chunked, without Content-Length: serialise it first, as LINE's examples send it.
        Buffered = true,

        // Exceptions keep the request; drop the token before anything can log them.
        ExceptionRedactor = exception =>
        {
            if (exception.RequestMessage is { } request)
            {
                request.Headers.Authorization = null;
            }
        },
    };
}
