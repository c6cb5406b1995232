using System.Text;

using ChatGateway.Abstractions;

using MimeKit;

namespace ChatGateway.Plugins.Email.Inbound;

/// <summary>What one mail is for the gateway: a customer's message (with the files still to save), a bounce, or nothing.</summary>
internal sealed record MappedEmail
{
    /// <summary>The customer's message without its files; null for a bounce or a skipped mail.</summary>
    public InboundMessage? Message { get; init; }

    /// <summary>The message's text as read (before notes about files are added; see <see cref="EmailMapper.ComposeText"/>).</summary>
    public string BodyText { get; init; } = "";

    /// <summary>Lines for the agent about what could not be kept (a cut HTML body, parts nested too deep).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>The MIME parts to save through the attachment store, in order.</summary>
    public IReadOnlyList<MimeEntity> Attachments { get; init; } = [];

    /// <summary>A delivery failure report for a message the shop sent; null otherwise.</summary>
    public DeliveryStatusUpdate? Bounce { get; init; }

    /// <summary>Why the mail is neither: e.g. a delivery report that is not a failure, the shop's own mail.</summary>
    public string? SkipReason { get; init; }
}

/// <summary>The one place that translates a received mail into the gateway's model. Pure: it saves nothing and sends nothing.</summary>
internal static class EmailMapper
{
    public const int MaxAttachments = 50;

    private const int MaxSubjectLength = 998;

    private const int MaxThreadIds = 50;

    private static readonly string[] OutOfOfficeSubjects =
    [
        "out of office", "out of the office", "automatic reply", "auto reply", "autoreply", "auto-reply", "auto:", "away from",
        "abwesenheitsnotiz", "réponse automatique", "respuesta automática", "自动回复", "自動回覆", "自動応答", "不在",
    ];

    // Before anything touches MimeKit (field initialisers run in order, before a static constructor).
    private static readonly bool CharsetsRegistered = RegisterCharsets();

    /// <summary>Makes the legacy charsets of real mail (GB2312, GBK, Big5, Shift_JIS, windows-125x) decodable; idempotent.</summary>
    public static bool RegisterCharsets()
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        return true;
    }

    /// <summary>How the plugin parses mail: MIME nested deeper than <see cref="EmailOptions.MaxMimeDepth"/> stays one opaque part.</summary>
    public static ParserOptions ParserOptions { get; } = CreateParserOptions();

    public static MappedEmail Map(MimeMessage message, string fallbackId, EmailOptions options)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(options);

        var parts = new PartWalk();
        parts.Walk(message.Body, depth: 1);

        var from = message.From.Mailboxes.FirstOrDefault() ?? message.Sender ?? message.ResentFrom.Mailboxes.FirstOrDefault();
        var fromAddress = from?.Address?.Trim().ToLowerInvariant();

        if (parts.IsDeliveryReport(fromAddress))
        {
            return MapReport(parts);
        }

        if (string.IsNullOrEmpty(fromAddress) || !fromAddress.Contains('@', StringComparison.Ordinal))
        {
            return new MappedEmail { SkipReason = "it has no From address" };
        }

        if (string.Equals(fromAddress, options.Address, StringComparison.OrdinalIgnoreCase))
        {
            return new MappedEmail { SkipReason = "it comes from the channel's own address (a loop)" };
        }

        var notes = new List<string>();
        if (parts.TooDeep)
        {
            notes.Add($"[Parts of this email nested deeper than {EmailOptions.MaxMimeDepth} levels were not read.]");
        }

        string? html = null;
        var htmlText = (string?)null;
        if (parts.Html is { } htmlPart)
        {
            var (value, cut) = ReadText(htmlPart, options.MaxHtmlLength);
            if (cut)
            {
                notes.Add($"[The HTML version of this email is larger than {options.MaxHtmlLength:N0} characters and was not kept; the text is what could be read of it.]");
            }
            else
            {
                html = value;
            }

            htmlText = parts.Text.Count == 0 ? HtmlText.ToText(value, options.MaxTextLength + 1) : null;
        }

        var body = parts.Text.Count > 0
            ? string.Join("\n\n", parts.Text.Select(part => ReadText(part, options.MaxTextLength + 1).Text))
            : htmlText ?? "";

        var attachments = parts.Attachments;
        if (attachments.Count > MaxAttachments)
        {
            notes.Add($"[This email carried {attachments.Count} files; only the first {MaxAttachments} were kept.]");
            attachments = [.. attachments.Take(MaxAttachments)];
        }

        var verified = SenderVerification.IsVerified(message, fromAddress, options);
        var name = Clean(from!.Name, 200);
        var subject = Subject(message);

        return new MappedEmail
        {
            BodyText = body,
            Notes = notes,
            Attachments = attachments,
            Message = new InboundMessage
            {
                ProviderMessageId = MailIds.Normalise(message.MessageId) ?? fallbackId,
                Sender = new ChannelSender
                {
                    ExternalId = fromAddress,
                    Email = verified ? fromAddress : null,
                    DisplayName = verified ? name : null,
                    DeclaredEmail = verified ? null : fromAddress,
                    DeclaredName = verified ? null : name,
                },
                Text = ComposeText(body, notes, subject, attachments.Count > 0, options.MaxTextLength),
                SentAt = message.Date == DateTimeOffset.MinValue ? null : message.Date,
                Subject = subject,
                Html = html,
                Thread = new MessageThread
                {
                    InReplyTo = MailIds.Normalise(message.InReplyTo),
                    References = [.. message.References.Select(MailIds.Normalise).OfType<string>().Distinct(StringComparer.Ordinal).TakeLast(MaxThreadIds)],
                    ReplyToken = ReplyToken(message, options),
                    SeparateConversations = true,
                },
                AutoSubmitted = IsAutoSubmitted(message, subject),
            },
        };
    }

    /// <summary>The message's Text: the body cut to fit <paramref name="maxLength"/> with the notes after it, or the subject when there is neither.</summary>
    public static string ComposeText(string body, IReadOnlyList<string> notes, string? subject, bool hasFiles, int maxLength)
    {
        var tail = notes.Count == 0 ? "" : string.Join("\n", notes);
        var room = maxLength - (tail.Length == 0 ? 0 : tail.Length + 2);
        if (room < 0)
        {
            return tail[..maxLength];
        }

        body = body.Trim();
        if (body.Length > room)
        {
            var cutNote = "\n[… cut: the email is longer; see its HTML version.]";
            body = body[..Math.Max(0, room - cutNote.Length)] + cutNote;
        }

        if (body.Length == 0 && tail.Length == 0 && !hasFiles && !string.IsNullOrWhiteSpace(subject))
        {
            // A question asked in the subject alone is still the customer's message.
            body = subject.Length <= maxLength ? subject : subject[..maxLength];
        }

        return tail.Length == 0 ? body : body.Length == 0 ? tail : body + "\n\n" + tail;
    }

    /// <summary>Sent by a machine: Auto-Submitted, Precedence bulk/junk/list, X-Autoreply/X-Autorespond, or an out-of-office subject outside a list.</summary>
    internal static bool IsAutoSubmitted(MimeMessage message, string? subject)
    {
        var autoSubmitted = message.Headers[HeaderId.AutoSubmitted];
        if (autoSubmitted is not null && !string.Equals(autoSubmitted.Split(';')[0].Trim(), "no", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var precedence = message.Headers[HeaderId.Precedence]?.Trim();
        if (precedence is not null && (precedence.Equals("bulk", StringComparison.OrdinalIgnoreCase)
            || precedence.Equals("junk", StringComparison.OrdinalIgnoreCase)
            || precedence.Equals("list", StringComparison.OrdinalIgnoreCase)))
        {
            return true;
        }

        if (message.Headers.Contains("X-Autoreply") || message.Headers.Contains("X-Autorespond") || message.Headers.Contains("X-Autoresponder"))
        {
            return true;
        }

        if (!message.Headers.Contains(HeaderId.ListId) && subject is not null)
        {
            var lower = subject.TrimStart().ToLowerInvariant();
            return OutOfOfficeSubjects.Any(prefix => lower.StartsWith(prefix, StringComparison.Ordinal));
        }

        return false;
    }

    private static MappedEmail MapReport(PartWalk parts)
    {
        var failed = new List<string>();
        var otherActions = new List<string>();
        foreach (var group in parts.DeliveryStatus?.StatusGroups.Skip(1) ?? [])
        {
            var action = group["Action"]?.Trim().ToLowerInvariant() ?? "";
            if (action == "failed")
            {
                var status = group["Status"]?.Trim();
                var diagnostic = Clean(group["Diagnostic-Code"], 400);
                failed.Add(string.Join(" ", new[] { status, diagnostic }.Where(s => !string.IsNullOrWhiteSpace(s))));
            }
            else if (action.Length > 0)
            {
                otherActions.Add(action);
            }
        }

        if (failed.Count == 0)
        {
            return new MappedEmail { SkipReason = otherActions.Count > 0 ? $"it is a delivery report ({string.Join(", ", otherActions.Distinct())}), not a failure" : "it is a delivery report without a failed recipient" };
        }

        var original = MailIds.Normalise(parts.ReturnedMessage?.MessageId);
        if (original is null)
        {
            return new MappedEmail { SkipReason = "it is a bounce that does not carry the returned message's Message-ID" };
        }

        var reason = string.Join("; ", failed.Select(f => f.Length == 0 ? "failed" : f));
        return new MappedEmail { Bounce = new DeliveryStatusUpdate(original, DeliveryStatus.Failed, reason.Length <= 500 ? reason : reason[..500]) };
    }

    private static string? ReplyToken(MimeMessage message, EmailOptions options)
    {
        var addresses = message.To.Mailboxes.Concat(message.Cc.Mailboxes).Select(m => m.Address)
            .Concat(message.Headers.Where(h => h.Field.Equals("Delivered-To", StringComparison.OrdinalIgnoreCase) || h.Field.Equals("X-Original-To", StringComparison.OrdinalIgnoreCase)).Select(h => h.Value.Trim()));
        return addresses.Select(address => MailIds.ReplyToken(address, options)).FirstOrDefault(token => token is not null);
    }

    private static string? Subject(MimeMessage message)
    {
        string? subject;
        try
        {
            subject = message.Subject;
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or DecoderFallbackException)
        {
            // An encoded word in a charset nobody knows: show the raw header rather than lose the mail.
            subject = message.Headers[HeaderId.Subject];
        }

        return Clean(subject, MaxSubjectLength);
    }

    private static string? Clean(string? value, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        // Control characters go; folded header lines and runs of white space become one space.
        var cleaned = new StringBuilder(Math.Min(value.Length, maxLength));
        foreach (var c in value)
        {
            if (char.IsWhiteSpace(c))
            {
                if (cleaned.Length > 0 && cleaned[^1] != ' ')
                {
                    cleaned.Append(' ');
                }
            }
            else if (!char.IsControl(c))
            {
                cleaned.Append(c);
            }
        }

        var text = cleaned.ToString().Trim();
        return text.Length == 0 ? null : text.Length <= maxLength ? text : text[..maxLength];
    }

    /// <summary>The decoded text of a part, at most <paramref name="maxChars"/> (and whether there was more). An unknown charset reads as UTF-8.</summary>
    internal static (string Text, bool Cut) ReadText(TextPart part, int maxChars)
    {
        if (part.Content is null)
        {
            return ("", false);
        }

        Encoding encoding;
        try
        {
            encoding = part.ContentType.CharsetEncoding ?? Encoding.UTF8;
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            encoding = Encoding.UTF8;
        }

        using var content = part.Content.Open();
        using var reader = new StreamReader(content, encoding, detectEncodingFromByteOrderMarks: true);
        var buffer = new char[Math.Min(maxChars + 1, 64 * 1024)];
        var text = new StringBuilder();
        int read;
        while (text.Length <= maxChars && (read = reader.Read(buffer, 0, Math.Min(buffer.Length, maxChars + 1 - text.Length))) > 0)
        {
            text.Append(buffer, 0, read);
        }

        var cut = text.Length > maxChars;
        if (cut)
        {
            text.Length = maxChars;
        }

        return (text.Replace("\r\n", "\n").ToString(), cut);
    }

    private static ParserOptions CreateParserOptions()
    {
        _ = CharsetsRegistered;
        var options = ParserOptions.Default.Clone();
        options.MaxMimeDepth = EmailOptions.MaxMimeDepth;
        return options;
    }

    /// <summary>One depth-first walk over the MIME tree, at most <see cref="EmailOptions.MaxMimeDepth"/> deep.</summary>
    private sealed class PartWalk
    {
        public List<TextPart> Text { get; } = [];

        public TextPart? Html { get; private set; }

        public List<MimeEntity> Attachments { get; } = [];

        public bool TooDeep { get; private set; }

        public bool InReport { get; private set; }

        public MessageDeliveryStatus? DeliveryStatus { get; private set; }

        public MimeMessage? ReturnedMessage { get; private set; }

        public bool IsDeliveryReport(string? fromAddress) =>
            DeliveryStatus is not null && (InReport || (fromAddress is not null
                && (fromAddress.StartsWith("mailer-daemon@", StringComparison.Ordinal) || fromAddress.StartsWith("postmaster@", StringComparison.Ordinal))));

        public void Walk(MimeEntity? entity, int depth)
        {
            if (entity is null)
            {
                return;
            }

            if (depth > EmailOptions.MaxMimeDepth)
            {
                TooDeep = true;
                return;
            }

            switch (entity)
            {
                case MultipartReport report when string.Equals(report.ReportType, "delivery-status", StringComparison.OrdinalIgnoreCase):
                    InReport = true;
                    foreach (var child in report)
                    {
                        Walk(child, depth + 1);
                    }

                    break;
                case Multipart multipart:
                    foreach (var child in multipart)
                    {
                        Walk(child, depth + 1);
                    }

                    break;
                case MessageDeliveryStatus status:
                    DeliveryStatus ??= status;
                    break;
                case MessagePart returned when DeliveryStatus is not null || InReport:
                    // A bounce's returned message or its headers (text/rfc822-headers): read for its Message-ID, never a file.
                    ReturnedMessage ??= returned.Message;
                    break;
                case MessagePart forwarded:
                    Attachments.Add(forwarded);
                    break;
                case MimePart part when IsSignature(part):
                    break;
                case TextPart text when !text.IsAttachment && text.IsHtml:
                    if (Html is null)
                    {
                        Html = text;
                    }
                    else
                    {
                        Attachments.Add(text);
                    }

                    break;
                case TextPart text when !text.IsAttachment && (text.IsPlain || text.ContentType.MediaSubtype.Equals("plain", StringComparison.OrdinalIgnoreCase)):
                    Text.Add(text);
                    break;
                case MimePart part:
                    if (part.Content is not null)
                    {
                        Attachments.Add(part);
                    }

                    break;
            }
        }

        private static bool IsSignature(MimePart part) =>
            part.ContentType.IsMimeType("application", "pgp-signature")
            || part.ContentType.IsMimeType("application", "pkcs7-signature")
            || part.ContentType.IsMimeType("application", "x-pkcs7-signature");
    }
}
