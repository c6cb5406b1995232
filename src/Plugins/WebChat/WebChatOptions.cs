using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.WebChat;

internal sealed class WebChatOptions
{
    /// <summary>Longest message a visitor may send, in characters.</summary>
    public int MaxMessageLength { get; set; } = 2000;

    /// <summary>Largest request body accepted from the widget, in bytes.</summary>
    public int MaxBodyBytes { get; set; } = 32 * 1024;

    /// <summary>
    /// The widget's language: <c>auto</c> (the visitor's browser), <c>zh-CN</c> or <c>en</c>. A page's <c>data-lang</c> comes
    /// before it, and the visitor's own choice (the switch in the widget's header) before both.
    /// </summary>
    public string Language { get; set; } = "auto";

    /// <summary>Title of the chat panel in every language without its own in <see cref="Titles"/>; unset: the widget's own.</summary>
    public string? Title { get; set; }

    /// <summary>The title by language (<c>zh</c>, <c>en</c>).</summary>
    public Dictionary<string, string> Titles { get; set; } = [];

    /// <summary>First line the visitor sees, in every language without its own in <see cref="Greetings"/>; unset: the widget's own; empty: none.</summary>
    public string? Greeting { get; set; }

    /// <summary>The greeting by language (<c>zh</c>, <c>en</c>), shown in the widget's language.</summary>
    public Dictionary<string, string> Greetings { get; set; } = [];

    /// <summary>The text for <paramref name="language"/> (<c>zh</c> or <c>en</c>): its own, else the single one, else null (the widget's own).</summary>
    public static string? For(Dictionary<string, string> texts, string? single, string language) =>
        texts.TryGetValue(language, out var text) ? text : single;

    /// <summary>
    /// Origins of the shop sites that embed the widget (e.g. <c>https://shop.example.com</c>), allowed to call
    /// these endpoints from the browser. The gateway's own origin is always allowed.
    /// </summary>
    public List<string> AllowedOrigins { get; set; } = [];

    /// <summary>Live connections one visitor may hold at once (tabs).</summary>
    public int MaxConnectionsPerVisitor { get; set; } = 8;

    /// <summary>
    /// The secret the shop's server signs visitors' identities with (<c>ChatGateway.identify</c>). Configuration
    /// only (<c>Channels:{id}:IdentitySecret</c>), never plugins.json. Unset: identify is refused.
    /// </summary>
    public string? IdentitySecret { get; set; }

    /// <summary>How far ahead a signed identity's <c>expires</c> may lie.</summary>
    public TimeSpan MaxIdentityLifetime { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How long the token of an identified visitor stays valid (the page identifies again on its next load).</summary>
    public TimeSpan IdentifiedTokenLifetime { get; set; } = TimeSpan.FromDays(1);

    /// <summary>The shop's name, shown as the sender of the shop's own messages (follow-ups, a survey); empty: "Agent".</summary>
    public string ShopName { get; set; } = "";

    /// <summary>
    /// How long after a visitor's last message the shop may still start a message here for them to see on return
    /// (they are reachable at any time while connected); 0: only while connected.
    /// </summary>
    public TimeSpan OutreachWindow { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How long a link to a file of the conversation (an <c>&lt;img src&gt;</c>, a download) stays good; the widget
    /// gets fresh ones with the history. The visitor must still be allowed to see the file when it is opened.
    /// </summary>
    public TimeSpan FileLinkLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Files one message may carry.</summary>
    public int MaxAttachmentsPerMessage { get; set; } = 10;

    /// <summary>Flood limits per client address.</summary>
    public WebChatLimits Limits { get; set; } = new();
}

/// <summary>Per client address, per minute; 0 turns a limit off.</summary>
internal sealed class WebChatLimits
{
    /// <summary>New visitors (POST visitors).</summary>
    public int VisitorsPerMinute { get; set; } = 30;

    /// <summary>First messages of visitors (each opens a conversation).</summary>
    public int NewConversationsPerMinute { get; set; } = 20;

    /// <summary>Messages.</summary>
    public int MessagesPerMinute { get; set; } = 120;

    /// <summary>Files uploaded (each up to the instance's <c>Attachments:MaxBytes</c>).</summary>
    public int UploadsPerMinute { get; set; } = 30;
}

internal sealed class WebChatOptionsValidator : IValidateOptions<WebChatOptions>
{
    public ValidateOptionsResult Validate(string? name, WebChatOptions options)
    {
        var errors = new List<string>();
        if (options.MaxMessageLength is < 1 or > 100_000)
        {
            errors.Add($"MaxMessageLength must be 1-100000, not {options.MaxMessageLength}.");
        }

        if (options.MaxBodyBytes < options.MaxMessageLength * 4 + 1024)
        {
            errors.Add($"MaxBodyBytes ({options.MaxBodyBytes}) must hold a message of MaxMessageLength characters: at least {options.MaxMessageLength * 4 + 1024}.");
        }

        foreach (var origin in options.AllowedOrigins.Where(o => !Uri.TryCreate(o, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https") || u.AbsolutePath != "/"))
        {
            errors.Add($"AllowedOrigins: '{origin}' must be an origin such as https://shop.example.com (scheme and host, no path).");
        }

        if (options.MaxConnectionsPerVisitor < 1)
        {
            errors.Add("MaxConnectionsPerVisitor must be at least 1.");
        }

        if (options.IdentitySecret is { } secret && secret.Length < 32)
        {
            errors.Add($"IdentitySecret must be at least 32 characters (a random secret the shop's server shares), not {secret.Length}.");
        }

        if (options.MaxIdentityLifetime <= TimeSpan.Zero || options.MaxIdentityLifetime > TimeSpan.FromDays(30))
        {
            errors.Add($"MaxIdentityLifetime must be more than zero and at most 30 days, not {options.MaxIdentityLifetime}.");
        }

        if (options.IdentifiedTokenLifetime <= TimeSpan.Zero || options.IdentifiedTokenLifetime > TimeSpan.FromDays(30))
        {
            errors.Add($"IdentifiedTokenLifetime must be more than zero and at most 30 days, not {options.IdentifiedTokenLifetime}.");
        }

        if (options.OutreachWindow < TimeSpan.Zero || options.OutreachWindow > TimeSpan.FromDays(30))
        {
            errors.Add($"OutreachWindow must be 0 (only while connected) to 30 days, not {options.OutreachWindow}.");
        }

        if (options.FileLinkLifetime < TimeSpan.FromMinutes(1) || options.FileLinkLifetime > TimeSpan.FromDays(1))
        {
            errors.Add($"FileLinkLifetime must be 00:01:00 to 1.00:00:00, not {options.FileLinkLifetime}.");
        }

        if (options.MaxAttachmentsPerMessage is < 1 or > 20)
        {
            errors.Add($"MaxAttachmentsPerMessage must be 1-20 (the gateway takes at most 20 files per message), not {options.MaxAttachmentsPerMessage}.");
        }

        if (options.Language is not ("auto" or "zh-CN" or "en"))
        {
            errors.Add($"Language must be auto, zh-CN or en, not '{options.Language}'.");
        }

        foreach (var (key, texts) in new[] { ("Titles", options.Titles), ("Greetings", options.Greetings) })
        {
            foreach (var language in texts.Keys.Where(l => l is not ("zh" or "en")))
            {
                errors.Add($"{key}:{language} is not a language the widget speaks: use zh or en.");
            }
        }

        if (options.ShopName.Length > 100)
        {
            errors.Add($"ShopName must be at most 100 characters, not {options.ShopName.Length}.");
        }

        foreach (var (key, value) in new[]
        {
            ("Limits:VisitorsPerMinute", options.Limits.VisitorsPerMinute),
            ("Limits:NewConversationsPerMinute", options.Limits.NewConversationsPerMinute),
            ("Limits:MessagesPerMinute", options.Limits.MessagesPerMinute),
            ("Limits:UploadsPerMinute", options.Limits.UploadsPerMinute),
        }.Where(l => l.Item2 < 0))
        {
            errors.Add($"{key} must be 0 (off) or more, not {value}.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
