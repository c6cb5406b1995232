using System.Net;
using System.Net.Http.Json;
using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Testing;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Tests.Replies;

/// <summary>
/// A customer who chats on the shop's web chat and also texts the shop's SMS number, as one contact. The
/// SMS identity joins the visitor's contact in the store (as a proven identity would: the test does not
/// rely on a typed phone number merging anyone), then the customer texts into the open conversation.
/// </summary>
public sealed class TwoChannelCustomer : IAsyncDisposable
{
    public const string PublicBaseUrl = "https://shop.example.com";
    public const string Phone = "+8613800138000";

    private TwoChannelCustomer(FakeTwilioServer twilio, GatewayHost host, HttpClient http)
    {
        Twilio = twilio;
        Host = host;
        Http = http;
    }

    public FakeTwilioServer Twilio { get; }

    public GatewayHost Host { get; }

    /// <summary>An anonymous client (for webhooks).</summary>
    public HttpClient Http { get; }

    public static async Task<TwoChannelCustomer> StartAsync()
    {
        var twilio = await FakeTwilioServer.StartAsync(GatewayHost.SmsAccountSid, GatewayHost.SmsAuthToken);
        var host = await GatewayHost.StartAsync(pluginsJson: GatewayHost.DefaultPluginsJson(twilio.BaseAddress.ToString(), PublicBaseUrl));
        return new TwoChannelCustomer(twilio, host, host.CreateClient());
    }

    /// <summary>The conversation's contact, from the store.</summary>
    public async Task<Guid> ContactOfAsync(Guid conversationId)
    {
        await using var db = Host.CreateDbContext();
        return await db.Conversations.Where(c => c.Id == conversationId).Select(c => c.ContactId).FirstAsync();
    }

    /// <summary>Adds a proven identity (instance, external id) to the contact straight in the store; returns its id.</summary>
    public async Task<Guid> AddIdentityAsync(Guid contactId, string instanceId, string externalId)
    {
        await using var db = Host.CreateDbContext();
        var identity = new ChannelIdentity { Id = Guid.NewGuid(), ContactId = contactId, InstanceId = instanceId, ExternalId = externalId, CreatedAt = DateTimeOffset.UtcNow };
        db.ChannelIdentities.Add(identity);
        await db.SaveChangesAsync();
        return identity.Id;
    }

    /// <summary>The identity id of (instance, external id).</summary>
    public async Task<Guid> IdentityAsync(string instanceId, string externalId)
    {
        await using var db = Host.CreateDbContext();
        return await db.ChannelIdentities.Where(i => i.InstanceId == instanceId && i.ExternalId == externalId).Select(i => i.Id).SingleAsync();
    }

    /// <summary>The visitor's id on the web chat instance (the identity the widget's messages carry), for their only identity there.</summary>
    public async Task<string> WebChatVisitorIdAsync(Guid contactId)
    {
        await using var db = Host.CreateDbContext();
        return await db.ChannelIdentities.Where(i => i.ContactId == contactId && i.InstanceId == "webchat").Select(i => i.ExternalId).FirstAsync();
    }

    /// <summary>A text from <see cref="Phone"/>, signed as Twilio signs it.</summary>
    public async Task TextAsync(string sid, string body)
    {
        var form = new Dictionary<string, string>
        {
            ["MessageSid"] = sid, ["SmsSid"] = sid, ["AccountSid"] = GatewayHost.SmsAccountSid, ["From"] = Phone, ["To"] = "+15005550006",
            ["Body"] = body, ["NumMedia"] = "0", ["NumSegments"] = "1", ["FromCountry"] = "CN",
        };
        var response = await Http.SendAsync(TwilioSignature.CreateSignedRequest(GatewayHost.SmsAuthToken, PublicBaseUrl, "/channels/sms-main/messages", form));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>
    /// The visitor writes on the web chat, the agent gets it, the phone joins the visitor's contact and the
    /// customer texts into the same conversation. Returns the conversation and the two identities.
    /// </summary>
    public async Task<(Guid ConversationId, Guid WebChatIdentity, Guid SmsIdentity)> ChatThenTextAsync(Visitor visitor, AgentSession agent)
    {
        var conversationId = (await visitor.SendOkAsync("do you have this jacket in M?")).GetProperty("conversationId").GetGuid();
        Assert.Equal(conversationId, (await agent.NextAssignedAsync()).Id);
        var contactId = await ContactOfAsync(conversationId);
        var webChat = await IdentityAsync("webchat", await WebChatVisitorIdAsync(contactId));
        var sms = await AddIdentityAsync(contactId, "sms-main", Phone);
        await TextAsync("SM-joined-1", "and in L?");
        var texted = await agent.NextMessageAsync(m => m.Text == "and in L?");
        Assert.Equal(conversationId, texted.ConversationId);
        return (conversationId, webChat, sms);
    }

    public static async Task<ConversationDto> GetAsync(AgentSession agent, Guid conversationId) =>
        (await agent.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{conversationId}"))!;

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
        await Twilio.DisposeAsync();
    }
}
