using System.Net.Sockets;

using ChatGateway.Abstractions;

using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

using MimeKit;

namespace ChatGateway.Plugins.Email.Sending;

/// <summary>
/// Makes one SMTP submission per call; the gateway retries transient failures. The Message-ID is made from the gateway's
/// message id, so a retry after a lost answer carries the same one (receivers and the thread see one message).
/// </summary>
internal sealed class SmtpEmailSender(
    IAttachmentStore attachments,
    IOptionsMonitor<EmailOptions> options,
    TimeProvider time,
    ILogger<SmtpEmailSender> logger) : IChannelSender
{
    public async Task<DeliveryResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var settings = options.CurrentValue;

        var to = RecipientAddress(message.Recipient);
        if (to is null)
        {
            Log.SendRejectedLocally(logger, message.MessageId, "no email address");
            return DeliveryResult.Permanent("the recipient has no email address");
        }

        var files = new List<OutboundFile>();
        try
        {
            foreach (var attachment in message.Attachments ?? [])
            {
                var content = await attachments.OpenReadAsync(attachment.Id, cancellationToken);
                if (content is null)
                {
                    Log.SendRejectedLocally(logger, message.MessageId, "an attachment is no longer stored");
                    return DeliveryResult.Permanent($"the attachment \"{attachment.FileName}\" is no longer stored");
                }

                files.Add(new OutboundFile(attachment, content));
            }

            using var mail = EmailComposer.Compose(message, to, settings, files, time.GetUtcNow());
            var providerMessageId = MailIds.Normalise(mail.MessageId)!;
            Log.Sending(logger, message.MessageId, to);
            return await SubmitAsync(mail, message.MessageId, providerMessageId, settings.Smtp, cancellationToken);
        }
        finally
        {
            foreach (var file in files)
            {
                await file.Content.DisposeAsync();
            }
        }
    }

    private async Task<DeliveryResult> SubmitAsync(MimeMessage mail, Guid messageId, string providerMessageId, SmtpOptions smtp, CancellationToken cancellationToken)
    {
        try
        {
            using var client = await MailConnections.ConnectSmtpAsync(smtp, cancellationToken);
            await client.SendAsync(mail, cancellationToken);
            await client.DisconnectAsync(quit: true, cancellationToken);
            Log.Sent(logger, messageId, providerMessageId);
            return DeliveryResult.Sent(providerMessageId);
        }
        catch (SmtpCommandException ex) when ((int)ex.StatusCode >= 500)
        {
            // 5xx: this message will not go as it is (unknown recipient, too large, refused content).
            var error = $"the mail server refused it: {(int)ex.StatusCode} {ex.Message}".Trim();
            Log.SendFailedPermanent(logger, messageId, (int)ex.StatusCode);
            Log.SendFailedPermanentDetail(logger, messageId, error);
            return DeliveryResult.Permanent(error.Length <= 500 ? error : error[..500]);
        }
        catch (SmtpCommandException ex)
        {
            // The server's text may name the recipient: in the result for the agent, not in the log.
            Log.SendFailedTransient(logger, messageId, $"the mail server answered {(int)ex.StatusCode}");
            var error = $"the mail server answered {(int)ex.StatusCode} {ex.Message}; trying again later";
            return DeliveryResult.Transient(error.Length <= 500 ? error : error[..500]);
        }
        catch (Exception ex) when (ex is SmtpProtocolException or IOException or SocketException or TimeoutException or AuthenticationException or SslHandshakeException or ServiceNotConnectedException or NotSupportedException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return Transient(messageId, MailConnections.Describe("Smtp", smtp, smtp.PortOrDefault, ex));
        }
    }

    private DeliveryResult Transient(Guid messageId, string error)
    {
        Log.SendFailedTransient(logger, messageId, error);
        return DeliveryResult.Transient(error);
    }

    /// <summary>The recipient's email, else the id it wrote from (its From address); null when neither is an address.</summary>
    internal static string? RecipientAddress(ChannelRecipient recipient)
    {
        foreach (var candidate in new[] { recipient.Email, recipient.ExternalId })
        {
            if (!string.IsNullOrWhiteSpace(candidate) && MailboxAddress.TryParse(candidate.Trim(), out var parsed)
                && parsed.Address.Contains('@', StringComparison.Ordinal) && string.IsNullOrEmpty(parsed.Name))
            {
                return parsed.Address;
            }
        }

        return null;
    }
}
