using System.Net;
using System.Text;

using ChatGateway.Abstractions;

using MimeKit;

namespace ChatGateway.Plugins.Email.Sending;

/// <summary>An agent's file to attach, opened from the attachment store.</summary>
internal sealed record OutboundFile(MessageAttachment Attachment, Stream Content);

/// <summary>
/// The one place that turns the gateway's outbound message into a mail: text and HTML alternatives with the signature,
/// the files, the thread's headers, a Message-ID that is the same on every attempt, and the reply address with the token.
/// </summary>
internal static class EmailComposer
{
    public static MimeMessage Compose(OutboundMessage message, string to, EmailOptions options, IReadOnlyList<OutboundFile> files, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(options);

        var mail = new MimeMessage();
        mail.From.Add(new MailboxAddress(options.DisplayName, options.Address));
        mail.To.Add(MailboxAddress.Parse(to));
        mail.Subject = Subject(message, options);
        mail.Date = now;
        mail.MessageId = MailIds.ForOutbound(message.MessageId, options.AddressDomain);

        if (message.Thread is { } thread)
        {
            if (thread.InReplyTo is { Length: > 0 } inReplyTo)
            {
                mail.InReplyTo = inReplyTo;
            }

            var references = thread.References.Where(id => !string.IsNullOrWhiteSpace(id)).ToList();
            if (thread.InReplyTo is { Length: > 0 } answered && !references.Contains(answered, StringComparer.Ordinal))
            {
                references.Add(answered);
            }

            foreach (var reference in references.TakeLast(50))
            {
                mail.References.Add(reference);
            }
        }

        if (options.ReplyAddressTokens && message.ReplyToken is { Length: > 0 } token && token.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            mail.ReplyTo.Add(new MailboxAddress(options.DisplayName, MailIds.ReplyAddress(options, token)));
        }

        if (message.AgentName is null)
        {
            // The gateway's own message (a follow-up): tells auto-responders not to answer it (RFC 3834).
            mail.Headers.Add(HeaderId.AutoSubmitted, "auto-generated");
        }

        var builder = new BodyBuilder
        {
            TextBody = PlainText(message, options),
            HtmlBody = Html(message, options),
        };

        foreach (var file in files)
        {
            var type = ContentType.TryParse(file.Attachment.ContentType, out var parsed) ? parsed : new ContentType("application", "octet-stream");
            builder.Attachments.Add(file.Attachment.FileName, file.Content, type);
        }

        mail.Body = builder.ToMessageBody();
        return mail;
    }

    /// <summary>The conversation's subject, marked once as a reply in a thread; the shop's name when there is none.</summary>
    public static string Subject(OutboundMessage message, EmailOptions options)
    {
        var subject = string.IsNullOrWhiteSpace(message.Subject) ? null : message.Subject.Trim();
        if (subject is null)
        {
            return string.IsNullOrWhiteSpace(options.DisplayName) ? $"Message from {options.AddressDomain}" : options.DisplayName.Trim();
        }

        var answers = !string.IsNullOrEmpty(message.Thread?.InReplyTo);
        return answers && !subject.StartsWith("Re:", StringComparison.OrdinalIgnoreCase) ? "Re: " + subject : subject;
    }

    public static string PlainText(OutboundMessage message, EmailOptions options)
    {
        var text = message.Text.Replace("\r\n", "\n");
        if (message.Choices is { Count: > 0 } choices && !choices.All(choice => text.Contains(choice, StringComparison.Ordinal)))
        {
            text += "\n\n" + string.Join(" / ", choices);
        }

        return string.IsNullOrWhiteSpace(options.Signature) ? text : text + "\n\n-- \n" + options.Signature.Replace("\r\n", "\n");
    }

    /// <summary>The agent's text as HTML: encoded (nothing the agent types becomes markup), line breaks kept, then the signature.</summary>
    public static string Html(OutboundMessage message, EmailOptions options)
    {
        var html = new StringBuilder("<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>\n<div>");
        html.Append(Encode(message.Text));
        if (message.Choices is { Count: > 0 } choices && !choices.All(choice => message.Text.Contains(choice, StringComparison.Ordinal)))
        {
            html.Append("<br>\n<br>\n").Append(WebUtility.HtmlEncode(string.Join(" / ", choices)));
        }

        html.Append("</div>\n");
        if (!string.IsNullOrWhiteSpace(options.SignatureHtml))
        {
            html.Append("<div class=\"signature\">").Append(options.SignatureHtml).Append("</div>\n");
        }
        else if (!string.IsNullOrWhiteSpace(options.Signature))
        {
            html.Append("<div class=\"signature\">-- <br>\n").Append(Encode(options.Signature)).Append("</div>\n");
        }

        return html.Append("</body></html>").ToString();
    }

    private static string Encode(string text) =>
        string.Join("<br>\n", text.Replace("\r\n", "\n").Split('\n').Select(WebUtility.HtmlEncode));
}
