using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.WebChat;

internal sealed class WebChatOptions
{
    /// <summary>Longest message a visitor may send, in characters.</summary>
    public int MaxMessageLength { get; set; } = 2000;

    /// <summary>Largest request body accepted from the widget, in bytes.</summary>
    public int MaxBodyBytes { get; set; } = 32 * 1024;

    /// <summary>Title of the chat panel.</summary>
    public string Title { get; set; } = "Chat with us";

    /// <summary>First line the visitor sees.</summary>
    public string Greeting { get; set; } = "Hi! How can we help you today?";

    /// <summary>
    /// Origins of the shop sites that embed the widget (e.g. <c>https://shop.example.com</c>), allowed to call
    /// these endpoints from the browser. The gateway's own origin is always allowed.
    /// </summary>
    public List<string> AllowedOrigins { get; set; } = [];

    /// <summary>Live connections one visitor may hold at once (tabs).</summary>
    public int MaxConnectionsPerVisitor { get; set; } = 8;
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

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
