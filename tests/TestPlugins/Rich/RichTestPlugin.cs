using System.Collections.Concurrent;
using ChatGateway.Abstractions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.TestPlugins.Rich;

/// <summary>
/// A channel with files, HTML and threads, for the gateway's own tests of rich messages (the email plugin has its own
/// tests against real mail servers). Its "provider" is the test: it posts messages to <c>/channels/{id}/inbound</c> and
/// reads what the gateway sent from <c>/channels/{id}/sent</c>.
/// </summary>
public sealed class RichTestPlugin : IChannelPlugin
{
    public string Name => "Rich";

    public string ChannelType => "email";

    public ChannelCapabilities Capabilities => ChannelCapabilities.ReceiveText | ChannelCapabilities.SendText | ChannelCapabilities.EmailIdentity
        | ChannelCapabilities.StartConversation | ChannelCapabilities.Attachments | ChannelCapabilities.Html | ChannelCapabilities.Threads;

    public long MaxAttachmentBytes => 10 * 1024 * 1024;

    public void ConfigureServices(ChannelInstance instance, IServiceCollection services)
    {
        services.AddSingleton<SentMessages>();
        services.AddSingleton<IChannelSender, RecordingSender>();
    }

    public void MapEndpoints(IEndpointRouteBuilder endpoints, ChannelInstance instance)
    {
        // The instance's services come with the request (its own container), not from the gateway's: resolved here.
        endpoints.MapPost("/inbound", async (WireInbound wire, HttpContext http, CancellationToken ct) =>
        {
            var sink = http.RequestServices.GetRequiredService<IInboundSink>();
            var files = http.RequestServices.GetRequiredService<IAttachmentStore>();
            var saved = new List<MessageAttachment>();
            var refused = new List<string>();
            foreach (var file in wire.Files ?? [])
            {
                try
                {
                    await using var content = new MemoryStream(Convert.FromBase64String(file.Base64));
                    var attachment = await files.SaveAsync(content, file.Name, file.Type, ct);
                    saved.Add(file.ContentId is null ? attachment : attachment with { ContentId = file.ContentId });
                }
                catch (AttachmentRejectedException ex)
                {
                    refused.Add((ex.TooLarge ? "too large: " : "refused: ") + ex.Message);
                }
            }

            try
            {
                var result = await sink.AcceptAsync(new InboundMessage
                {
                    ProviderMessageId = wire.Id,
                    Sender = wire.Verified ? new ChannelSender { ExternalId = wire.From, Email = wire.From } : new ChannelSender { ExternalId = wire.From, DeclaredEmail = wire.From },
                    Text = wire.Text ?? "",
                    Subject = wire.Subject,
                    Html = wire.Html,
                    Attachments = saved,
                    AutoSubmitted = wire.AutoSubmitted,
                    Thread = wire.Threaded
                        ? new MessageThread { InReplyTo = wire.InReplyTo, References = wire.References ?? [], ReplyToken = wire.ReplyToken, SeparateConversations = true }
                        : null,
                }, ct);
                return Results.Ok(new { result.MessageId, result.ConversationId, result.Duplicate, Refused = refused, Files = saved });
            }
            catch (InboundRejectedException ex)
            {
                return Results.BadRequest(new { Error = ex.Message, Refused = refused });
            }
        });
        endpoints.MapPost("/fail-next", (HttpContext http) =>
        {
            http.RequestServices.GetRequiredService<SentMessages>().FailNext = true;
            return Results.NoContent();
        });
        endpoints.MapGet("/sent", (HttpContext http) => Results.Ok(http.RequestServices.GetRequiredService<SentMessages>().All.ToArray()));
        endpoints.MapGet("/files/{attachmentId}", async (string attachmentId, string customer, HttpContext http, CancellationToken ct) =>
            await http.RequestServices.GetRequiredService<IAttachmentStore>().OpenForCustomerAsync(customer, attachmentId, ct) is { } found
                ? Results.Stream(found.Content, found.Attachment.ContentType)
                : Results.NotFound());
    }
}

public sealed record WireFile(string Name, string? Type, string Base64, string? ContentId = null);

public sealed record WireInbound(
    string Id, string From, string? Text, bool Verified = true, string? Subject = null, string? Html = null, bool Threaded = true,
    string? InReplyTo = null, IReadOnlyList<string>? References = null, string? ReplyToken = null, bool AutoSubmitted = false, IReadOnlyList<WireFile>? Files = null);

public sealed record WireSentFile(string Id, string Name, string Type, long Size, string Base64);

public sealed record WireSent(
    Guid MessageId, Guid ConversationId, string To, string Text, string? Subject, string? InReplyTo, IReadOnlyList<string>? References,
    string? ReplyToken, string? AgentName, IReadOnlyList<WireSentFile> Files, string ProviderMessageId);

public sealed class SentMessages
{
    public ConcurrentQueue<WireSent> All { get; } = new();

    /// <summary>The next send fails for good (a full mailbox).</summary>
    public volatile bool FailNext;
}

internal sealed class RecordingSender(SentMessages sent, IAttachmentStore files) : IChannelSender
{
    public async Task<DeliveryResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        if (sent.FailNext)
        {
            sent.FailNext = false;
            return DeliveryResult.Permanent("550 mailbox full");
        }

        var read = new List<WireSentFile>();
        foreach (var file in message.Attachments ?? [])
        {
            await using var content = await files.OpenReadAsync(file.Id, cancellationToken)
                ?? throw new InvalidOperationException($"file {file.Id} cannot be read");
            using var copy = new MemoryStream();
            await content.CopyToAsync(copy, cancellationToken);
            read.Add(new WireSentFile(file.Id, file.FileName, file.ContentType, file.Size, Convert.ToBase64String(copy.ToArray())));
        }

        var providerId = $"{message.MessageId:N}@rich.test";
        sent.All.Enqueue(new WireSent(
            message.MessageId, message.ConversationId, message.Recipient.ExternalId, message.Text, message.Subject, message.Thread?.InReplyTo,
            message.Thread?.References, message.ReplyToken, message.AgentName, read, providerId));
        return DeliveryResult.Sent(providerId);
    }
}
