using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Attachments;

/// <summary>Files messages carry: where they are kept and what is taken (section <c>Attachments</c>; a channel instance may lower the limits in its own settings).</summary>
internal sealed class AttachmentOptions
{
    /// <summary>Types taken unless configured otherwise: pictures, PDF, plain text and CSV, office documents, common audio and video. Never HTML or SVG (they can carry scripts).</summary>
    public static readonly string[] DefaultAllowedTypes =
    [
        "image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/bmp",
        "application/pdf", "text/plain", "text/csv",
        "application/zip",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
        "audio/mpeg", "audio/ogg", "audio/amr", "audio/wav", "audio/mp4",
        "video/mp4", "video/quicktime", "video/3gpp",
    ];

    /// <summary>The folder of the disk blob store (relative to the working directory, like the SQLite file).</summary>
    public string Path { get; set; } = "data/attachments";

    /// <summary>The largest file taken from anyone, in bytes (default 25 MB); a channel instance's <c>Attachments:MaxBytes</c> and its plugin's limit may lower it.</summary>
    public long MaxBytes { get; set; } = 25L * 1024 * 1024;

    /// <summary>Content types taken (as read from the bytes); a channel instance's <c>Attachments:AllowedTypes</c> narrows them.</summary>
    public string[]? AllowedTypes { get; set; }

    /// <summary>How long a file no message took is kept (an upload whose message never came).</summary>
    public TimeSpan UnclaimedLifetime { get; set; } = TimeSpan.FromDays(1);

    public IReadOnlySet<string> Allowed => (AllowedTypes is { Length: > 0 } types ? types : DefaultAllowedTypes).ToHashSet(StringComparer.OrdinalIgnoreCase);
}

internal sealed class AttachmentOptionsValidator : IValidateOptions<AttachmentOptions>
{
    public ValidateOptionsResult Validate(string? name, AttachmentOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Path))
        {
            failures.Add("Attachments:Path must name a folder.");
        }

        if (options.MaxBytes < 1 || options.MaxBytes > 2L * 1024 * 1024 * 1024)
        {
            failures.Add($"Attachments:MaxBytes must be between 1 and 2147483648 (2 GB); it is {options.MaxBytes}.");
        }

        if (options.UnclaimedLifetime < TimeSpan.FromMinutes(1))
        {
            failures.Add("Attachments:UnclaimedLifetime must be at least 00:01:00.");
        }

        foreach (var type in options.AllowedTypes ?? [])
        {
            if (!ContentSniffer.IsMediaType(type))
            {
                failures.Add($"Attachments:AllowedTypes: '{type}' is not a content type (type/subtype).");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
