using System.Collections.Concurrent;
using ChatGateway.Abstractions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.TestPlugins.Chat;

/// <summary>
/// A chat channel like LINE for the gateway's own tests of the contract's chat parts: group chats, reply contexts,
/// unsupported content, contact profiles and webhooks carrying several events. Its "provider" is the test: it posts
/// events to <c>/channels/{id}/events</c>, profiles to <c>/channels/{id}/profile</c>, and reads what the gateway sent
/// from <c>/channels/{id}/sent</c>.
/// </summary>
public sealed class ChatTestPlugin : IChannelPlugin
{
    public string Name => "Chat";

    public string ChannelType => "chat";

    public ChannelCapabilities Capabilities => ChannelCapabilities.ReceiveText | ChannelCapabilities.SendText | ChannelCapabilities.StartConversation
        | ChannelCapabilities.ReplyContexts | ChannelCapabilities.ReceiveAttachments;

    public long MaxAttachmentBytes => 1024 * 1024;

    /// <summary>Free-form answers within 24 hours of the customer's last message, as on WhatsApp.</summary>
    public TimeSpan? ReplyWindow => TimeSpan.FromHours(24);

    public void ConfigureServices(ChannelInstance instance, IServiceCollection services)
    {
        services.AddSingleton<SentChats>();
        services.AddSingleton<IChannelSender, RecordingChatSender>();
    }

    public void MapEndpoints(IEndpointRouteBuilder endpoints, ChannelInstance instance)
    {
        endpoints.MapPost("/events", async (WireEvents wire, HttpContext http, CancellationToken ct) =>
        {
            var sink = http.RequestServices.GetRequiredService<IInboundSink>();
            var time = http.RequestServices.GetRequiredService<TimeProvider>();
            var messages = wire.Events.Select(e => new InboundMessage
            {
                ProviderMessageId = e.Id,
                Sender = new ChannelSender { ExternalId = e.From, DisplayName = e.Name, Phone = e.Phone, Language = e.Language },
                Text = e.Text ?? "",
                Chat = e.Chat is { } chat ? new ChannelChat { ExternalId = chat.Id, Kind = chat.Room ? ChatKind.Room : ChatKind.Group, Title = chat.Title } : null,
                ReplyContext = e.ReplyToken is { } token
                    ? new ReplyContext { Value = token, ExpiresAt = time.GetUtcNow().AddSeconds(e.TokenSeconds), SingleUse = !e.TokenReusable }
                    : null,
                Unsupported = e.Unsupported is { } other ? new UnsupportedContent { Kind = other.Kind, Summary = other.Summary, Failed = other.Failed } : null,
                Origin = e.Origin is { } origin ? new MessageOrigin { Kind = origin.Kind, Reference = origin.Reference, Url = origin.Url, Title = origin.Title } : null,
            }).ToList();
            try
            {
                var items = await sink.AcceptBatchAsync(messages, ct);
                return Results.Ok(items.Select(i => new { i.Accepted, i.Result?.MessageId, i.Result?.ConversationId, i.Result?.Duplicate, Refused = i.RefusedReason }));
            }
            catch (Exception)
            {
                return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
            }
        });
        endpoints.MapPost("/profile", async (WireProfile wire, HttpContext http, CancellationToken ct) =>
        {
            try
            {
                MessageAttachment? avatar = null;
                if (wire.AvatarBase64 is { } picture)
                {
                    await using var content = new MemoryStream(Convert.FromBase64String(picture));
                    avatar = await http.RequestServices.GetRequiredService<IAttachmentStore>().SaveAsync(content, "avatar", null, ct);
                }

                var known = await http.RequestServices.GetRequiredService<IContactProfiles>()
                    .UpdateAsync(wire.ExternalId, new ContactProfile { DisplayName = wire.Name, Language = wire.Language, Avatar = avatar, CrossAccountId = wire.CrossAccountId }, ct);
                return known ? Results.NoContent() : Results.NotFound();
            }
            catch (ArgumentException ex)
            {
                return Results.BadRequest(new { Error = ex.Message });
            }

        });
        endpoints.MapGet("/sent", (HttpContext http) => Results.Ok(http.RequestServices.GetRequiredService<SentChats>().All.ToArray()));
        // The provider's rate limit: the next send is refused with a Retry-After of that many seconds.
        endpoints.MapPost("/throttle", (WireThrottle wire, HttpContext http) =>
        {
            http.RequestServices.GetRequiredService<SentChats>().Throttles.Enqueue(TimeSpan.FromSeconds(wire.Seconds));
            return Results.NoContent();
        });
        // The provider refuses the next send for good (a blocked user, a bad recipient), with this reason.
        endpoints.MapPost("/refuse", (WireRefusal wire, HttpContext http) =>
        {
            http.RequestServices.GetRequiredService<SentChats>().Refusals.Enqueue(wire.Reason);
            return Results.NoContent();
        });
    }
}

public sealed record WireChat(string Id, string? Title = null, bool Room = false);

public sealed record WireOther(string Kind, string? Summary = null, bool Failed = false);

public sealed record WireOrigin(string Kind, string? Reference = null, string? Url = null, string? Title = null);

public sealed record WireThrottle(int Seconds);

public sealed record WireRefusal(string Reason);

public sealed record WireEvent(
    string Id, string From, string? Text, string? Name = null, string? Phone = null, WireChat? Chat = null,
    string? ReplyToken = null, int TokenSeconds = 60, bool TokenReusable = false, WireOther? Unsupported = null, string? Language = null,
    WireOrigin? Origin = null);

public sealed record WireEvents(IReadOnlyList<WireEvent> Events);

public sealed record WireProfile(string ExternalId, string? Name = null, string? Language = null, string? AvatarBase64 = null, string? CrossAccountId = null);

public sealed record WireChatSent(Guid MessageId, Guid ConversationId, string To, string Text, string? ReplyContext, string? FollowUpKind);

public sealed class SentChats
{
    public ConcurrentQueue<WireChatSent> All { get; } = new();

    public ConcurrentQueue<TimeSpan> Throttles { get; } = new();

    public ConcurrentQueue<string> Refusals { get; } = new();
}

internal sealed class RecordingChatSender(SentChats sent) : IChannelSender
{
    public Task<DeliveryResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        if (sent.Refusals.TryDequeue(out var refusal))
        {
            return Task.FromResult(DeliveryResult.Permanent(refusal));
        }

        if (sent.Throttles.TryDequeue(out var wait))
        {
            return Task.FromResult(DeliveryResult.Transient("rate limited by the provider", wait));
        }

        sent.All.Enqueue(new WireChatSent(message.MessageId, message.ConversationId, message.Recipient.ExternalId, message.Text, message.ReplyContext, message.FollowUpKind));
        return Task.FromResult(DeliveryResult.Sent($"{message.MessageId:N}"));
    }
}
