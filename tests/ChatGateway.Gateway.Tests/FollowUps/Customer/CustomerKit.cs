using System.Net;
using ChatGateway.Gateway.Delivery;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Gateway.Tests.FollowUps.Customer;

/// <summary>
/// The buyer's side of follow-ups: a customer on SMS or the web chat, and a satisfaction survey put in place the way the
/// follow-up firer sends it (helper C's firer is built in parallel): a FollowUp row of kind survey, status Sent, whose id
/// is an outbound message of the closed conversation, which becomes pending.
/// </summary>
internal static class CustomerKit
{
    public const string PublicBaseUrl = "https://shop.example.com";
    public const string SurveyText = "请为本次服务打分，回复1-5。Please rate our service: reply 1-5.";

    public static Task<GatewayHost> StartWithSmsAsync(FakeTwilioServer twilio, TimeProvider? clock = null) =>
        GatewayHost.StartAsync(pluginsJson: GatewayHost.DefaultPluginsJson(twilio.BaseAddress.ToString(), PublicBaseUrl), clock: clock);

    /// <summary>An SMS from <paramref name="from"/>, signed like Twilio signs it; extra fields (OptOutType) added as given.</summary>
    public static async Task<HttpResponseMessage> TextAsync(GatewayHost host, string from, string sid, string body, IDictionary<string, string>? extra = null)
    {
        var form = new Dictionary<string, string>
        {
            ["MessageSid"] = sid, ["SmsSid"] = sid, ["AccountSid"] = GatewayHost.SmsAccountSid, ["From"] = from, ["To"] = "+15005550006",
            ["Body"] = body, ["NumMedia"] = "0", ["NumSegments"] = "1", ["FromCountry"] = "CN",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            form[key] = value;
        }

        using var http = host.CreateClient();
        var response = await http.SendAsync(TwilioSignature.CreateSignedRequest(GatewayHost.SmsAuthToken, PublicBaseUrl, "/channels/sms-main/messages", form));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response;
    }

    /// <summary>Sends the survey into the closed conversation, as the follow-up firer does; returns its id (= the message's).</summary>
    public static async Task<Guid> PutSurveyAsync(GatewayHost host, Guid conversationId, DateTimeOffset sentAt)
    {
        await using var db = host.CreateDbContext();
        var conversation = await db.Conversations.SingleAsync(c => c.Id == conversationId);
        Assert.Equal(ConversationStatus.Closed, conversation.Status);
        var id = Guid.CreateVersion7(sentAt);
        db.FollowUps.Add(new FollowUp
        {
            Id = id,
            Kind = FollowUpKinds.Survey,
            Rule = "survey",
            ContactId = conversation.ContactId,
            ConversationId = conversationId,
            DueAt = sentAt,
            Channel = conversation.LastInstanceId,
            Status = FollowUpStatus.Sent,
            CreatedAt = sentAt,
            DoneAt = sentAt,
        });
        db.Messages.Add(new Message
        {
            Id = id,
            ConversationId = conversationId,
            InstanceId = conversation.LastInstanceId,
            ExternalId = conversation.LastExternalId,
            Direction = MessageDirection.Out,
            Text = SurveyText,
            Status = MessageStatus.Pending,
            NextAttemptAt = sentAt,
            CreatedAt = sentAt,
        });
        conversation.Status = ConversationStatus.Pending;
        await db.SaveChangesAsync();
        host.Services.GetRequiredService<DeliveryService>().Signal();
        return id;
    }

    public static async Task<Conversation> ConversationAsync(GatewayHost host, Guid conversationId)
    {
        await using var db = host.CreateDbContext();
        return await db.Conversations.AsNoTracking().SingleAsync(c => c.Id == conversationId);
    }
}
