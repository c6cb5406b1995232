using ChatGateway.Gateway.ReplyGuard;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.CannedReplies;

/// <summary>Canned replies and the forbidden-phrase guard the desk's composer uses.</summary>
internal static class CannedRepliesServiceCollectionExtensions
{
    /// <summary>Call after the store's <c>StartupInitializer</c>: the starter set is written once migrations ran.</summary>
    public static IServiceCollection AddCannedReplies(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CannedReplyOptions>().Bind(configuration.GetSection("CannedReplies")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CannedReplyOptions>, CannedReplyOptionsValidator>();
        services.AddHostedService<CannedReplySeeder>();

        // Validated by ForbiddenPhrases (at start-up, naming the key, and on reload, keeping the last good list).
        services.AddOptions<ReplyGuardOptions>().Bind(configuration.GetSection("ReplyGuard"));
        services.AddSingleton<ForbiddenPhrases>();
        services.AddHostedService(sp => sp.GetRequiredService<ForbiddenPhrases>());
        return services;
    }
}
