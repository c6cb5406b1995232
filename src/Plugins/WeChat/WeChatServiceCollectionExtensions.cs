using System.Text.Encodings.Web;

using ChatGateway.Abstractions;
using ChatGateway.Plugins.WeChat.Api;
using ChatGateway.Plugins.WeChat.Profiles;
using ChatGateway.Plugins.WeChat.Sending;

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

using Refit;

namespace ChatGateway.Plugins.WeChat;

internal static class WeChatServiceCollectionExtensions
{
    /// <summary>Registers one WeChat instance into its private container.</summary>
    public static IServiceCollection AddWeChat(this IServiceCollection services, ChannelInstance instance)
    {
        services.AddOptions<WeChatOptions>().Bind(instance.Settings).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WeChatOptions>>(new WeChatOptionsValidator(instance)));

        // The source-generated client: Refit's reflection builder compiles, then fails at the first call in a plugin's load context.
        services.AddRefitGeneratedClient<IWeChatApi>(_ => CreateRefitSettings())
            .ConfigureHttpClient((provider, client) =>
            {
                var options = provider.GetRequiredService<IOptionsMonitor<WeChatOptions>>().CurrentValue;
                client.BaseAddress = new Uri(options.ApiBaseAddress.TrimEnd('/'));
                client.Timeout = options.RequestTimeout;
            })
            // IHttpClientFactory logs each request's URL at Information; WeChat's URLs carry the access_token and AppSecret.
            .RemoveAllLoggers();
        services.TryAddTransient<WeChatApiClient>();

        services.TryAddSingleton<WeChatAccessTokens>();
        services.TryAddSingleton<WeChatTokenService>();
        services.AddHostedService(provider => provider.GetRequiredService<WeChatTokenService>());
        services.AddSingleton<IChannelReadiness>(provider => provider.GetRequiredService<WeChatTokenService>());

        // One user-info worker (and cache) per instance; the worker is the hosted service itself, not a second copy.
        services.TryAddSingleton<WeChatUserInfoService>();
        services.AddHostedService(provider => provider.GetRequiredService<WeChatUserInfoService>());

        services.TryAddSingleton<IChannelOutreach, WeChatOutreach>();
        services.TryAddTransient<IChannelSender, WeChatSender>();
        return services;
    }

    private static RefitSettings CreateRefitSettings()
    {
        // WeChat reads the text as UTF-8 as written: Chinese stays as it is, not \u-escaped.
        var json = SystemTextJsonContentSerializer.GetDefaultJsonSerializerOptions();
        json.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        return new RefitSettings
        {
            ContentSerializer = new SystemTextJsonContentSerializer(json),

            // Refit streams a JSON body chunked, without Content-Length: serialise it first.
            Buffered = true,
        };
    }
}
