using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Conversations;

/// <summary>A close reason's labels for the desk, in Chinese and English.</summary>
public sealed class CloseReasonLabels
{
    public string Zh { get; set; } = "";
    public string En { get; set; } = "";
}

/// <summary>What agents do to conversations beyond replying (section <c>Conversations</c>).</summary>
internal sealed class ConversationActionsOptions
{
    /// <summary>The reason a conversation closed as spam: no satisfaction survey follows it.</summary>
    public const string Spam = "spam";

    /// <summary>
    /// The reasons an agent may give when closing, by id (<c>Conversations:CloseReasons:resolved:Zh</c> = 已解决). When the
    /// section names none, the defaults below.
    /// </summary>
    public Dictionary<string, CloseReasonLabels> CloseReasons { get; set; } = new(StringComparer.Ordinal);

    public static readonly IReadOnlyList<(string Id, string Zh, string En)> DefaultCloseReasons =
    [
        ("resolved", "已解决", "Resolved"),
        ("no-reply", "客户未回复", "Customer did not reply"),
        (Spam, "骚扰/垃圾消息", "Spam"),
        ("transferred-to-phone", "转电话处理", "Transferred to phone"),
        ("duplicate", "重复会话", "Duplicate conversation"),
    ];
}

internal sealed partial class ConversationActionsOptionsSetup : IPostConfigureOptions<ConversationActionsOptions>, IValidateOptions<ConversationActionsOptions>
{
    public void PostConfigure(string? name, ConversationActionsOptions options)
    {
        if (options.CloseReasons.Count == 0)
        {
            foreach (var (id, zh, en) in ConversationActionsOptions.DefaultCloseReasons)
            {
                options.CloseReasons[id] = new CloseReasonLabels { Zh = zh, En = en };
            }
        }
    }

    public ValidateOptionsResult Validate(string? name, ConversationActionsOptions options)
    {
        var errors = new List<string>();
        foreach (var (id, labels) in options.CloseReasons)
        {
            if (!ReasonId().IsMatch(id))
            {
                errors.Add($"Conversations:CloseReasons:{id}: a reason's id is 1-40 lower-case letters, digits and hyphens.");
            }

            if (string.IsNullOrWhiteSpace(labels.Zh) && string.IsNullOrWhiteSpace(labels.En))
            {
                errors.Add($"Conversations:CloseReasons:{id}: set Zh or En (what the desk shows).");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,39}$")]
    private static partial Regex ReasonId();
}

internal static class ConversationActionsServiceCollectionExtensions
{
    /// <summary>Close reasons, notes, snoozing and scheduled replies (send later): their settings and their follow-up kinds.</summary>
    public static IServiceCollection AddConversationActions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ConversationActionsOptions>().Bind(configuration.GetSection("Conversations")).ValidateOnStart();
        services.AddSingleton<ConversationActionsOptionsSetup>();
        services.AddSingleton<IPostConfigureOptions<ConversationActionsOptions>>(sp => sp.GetRequiredService<ConversationActionsOptionsSetup>());
        services.AddSingleton<IValidateOptions<ConversationActionsOptions>>(sp => sp.GetRequiredService<ConversationActionsOptionsSetup>());
        services.AddSingleton<FollowUps.IFollowUpKindHandler, SnoozeWakeHandler>();
        services.AddSingleton<FollowUps.IFollowUpKindHandler, FollowUps.ScheduledReplies.ScheduledReplyHandler>();
        return services;
    }
}
