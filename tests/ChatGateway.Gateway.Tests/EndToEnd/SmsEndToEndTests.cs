using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Testing;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Tests.EndToEnd;

/// <summary>
/// SMS through the real host and a local Twilio-compatible server that checks what the gateway sends.
/// Webhooks are signed the way Twilio signs them, over the configured public URL.
/// </summary>
public sealed class SmsEndToEndTests
{
    private const string PublicBaseUrl = "https://shop.example.com";
    private const string Customer = "+8613800138000";

    [Theory]
    [InlineData(RedisBackend.Garnet)]
    [InlineData(RedisBackend.Redis)]
    public async Task InboundSms_IsRoutedBySkill_AndTheReplyGoesOutThroughTheMessagesApi(RedisBackend backend)
    {
        await using var twilio = await FakeTwilioServer.StartAsync(GatewayHost.SmsAccountSid, GatewayHost.SmsAuthToken);
        await using var host = await GatewayHost.StartAsync(backend, GatewayHost.DefaultPluginsJson(twilio.BaseAddress.ToString(), PublicBaseUrl));
        await using var carol = await host.SignInAsync("carol");
        using var http = host.CreateClient();

        var response = await http.SendAsync(InboundSms("SM0001", "我的快递到哪里了? where is my parcel"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("<Response></Response>", await response.Content.ReadAsStringAsync());

        var assigned = await carol.NextAssignedAsync();
        Assert.Equal("logistics", assigned.Skill);
        Assert.Equal("sms", assigned.ChannelType);
        Assert.Equal(Customer, assigned.Contact.Phone);

        await carol.ReplyAsync(assigned.Id, "您的包裹今天送达 / arriving today");
        var sent = await twilio.WaitForRequestAsync(r => r.ResponseStatus == 201, TimeSpan.FromSeconds(15));
        Assert.Equal(Customer, sent.To);
        Assert.Equal("+15005550006", sent.From);
        Assert.Equal("您的包裹今天送达 / arriving today", sent.Body);
        Assert.Equal(GatewayHost.SmsAccountSid, sent.Username);
        Assert.Equal(GatewayHost.SmsAuthToken, sent.Password);
        Assert.Equal($"{PublicBaseUrl}/channels/sms-main/status", sent.StatusCallback);
        var sentStatus = await carol.NextStatusAsync(m => m.Status == "sent");

        // Twilio reports delivery through the status callback; the agent sees it live.
        var callback = await http.SendAsync(Signed("/channels/sms-main/status", new()
        {
            ["MessageSid"] = sent.MessageSid!, ["MessageStatus"] = "delivered", ["AccountSid"] = GatewayHost.SmsAccountSid, ["To"] = Customer, ["From"] = "+15005550006",
        }));
        Assert.Equal(HttpStatusCode.OK, callback.StatusCode);
        var delivered = await carol.NextStatusAsync(m => m.Status == "delivered");
        Assert.Equal(sentStatus.Message.Id, delivered.Message.Id);
    }

    [Fact]
    public async Task RedeliveredWebhook_IsAcknowledged_AndStoredOnce()
    {
        await using var twilio = await FakeTwilioServer.StartAsync(GatewayHost.SmsAccountSid, GatewayHost.SmsAuthToken);
        await using var host = await GatewayHost.StartAsync(pluginsJson: GatewayHost.DefaultPluginsJson(twilio.BaseAddress.ToString(), PublicBaseUrl));
        using var http = host.CreateClient();

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(InboundSms("SM-dup-1", "is this in stock?"))).StatusCode);
        }

        // Concurrent redeliveries race too.
        var racing = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => http.SendAsync(InboundSms("SM-dup-2", "second question"))));
        Assert.All(racing, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));

        await using var db = host.CreateDbContext();
        Assert.Equal(1, await db.Messages.CountAsync(m => m.ProviderMessageId == "SM-dup-1"));
        Assert.Equal(1, await db.Messages.CountAsync(m => m.ProviderMessageId == "SM-dup-2"));
        Assert.Equal(1, await db.Contacts.CountAsync());
    }

    [Theory]
    [InlineData("forged")]
    [InlineData("missing")]
    [InlineData("other-url")]
    public async Task Webhook_WithForgedOrMissingSignature_Returns403_AndStoresNothing(string kind)
    {
        await using var twilio = await FakeTwilioServer.StartAsync(GatewayHost.SmsAccountSid, GatewayHost.SmsAuthToken);
        await using var host = await GatewayHost.StartAsync(pluginsJson: GatewayHost.DefaultPluginsJson(twilio.BaseAddress.ToString(), PublicBaseUrl));
        using var http = host.CreateClient();
        var form = Form("SM-forged", "give me a refund");
        var request = kind switch
        {
            "forged" => TwilioSignature.CreateSignedRequest("not-the-token", PublicBaseUrl, "/channels/sms-main/messages", form),
            "other-url" => TwilioSignature.CreateSignedRequest(GatewayHost.SmsAuthToken, "https://evil.example.com", "/channels/sms-main/messages", form),
            _ => new HttpRequestMessage(HttpMethod.Post, "/channels/sms-main/messages") { Content = new FormUrlEncodedContent(form) },
        };

        var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("signature", (await response.Content.ReadAsStringAsync()).ToLowerInvariant());
        await using var db = host.CreateDbContext();
        Assert.Equal(0, await db.Messages.CountAsync());
        Assert.Equal(0, await db.Contacts.CountAsync());
    }

    [Fact]
    public async Task Webhook_MalformedForm_Returns400WithReason_AndStoresNothing()
    {
        await using var twilio = await FakeTwilioServer.StartAsync(GatewayHost.SmsAccountSid, GatewayHost.SmsAuthToken);
        await using var host = await GatewayHost.StartAsync(pluginsJson: GatewayHost.DefaultPluginsJson(twilio.BaseAddress.ToString(), PublicBaseUrl));
        using var http = host.CreateClient();

        // Correctly signed, but without the fields Twilio always sends.
        var response = await http.SendAsync(Signed("/channels/sms-main/messages", new() { ["AccountSid"] = GatewayHost.SmsAccountSid, ["Body"] = "hi" }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("MessageSid is required", await response.Content.ReadAsStringAsync());
        await using var db = host.CreateDbContext();
        Assert.Equal(0, await db.Messages.CountAsync());
    }

    [Fact]
    public async Task SameCustomer_ByShopVerifiedWidgetAndSms_IsOneContactWithOneHistory()
    {
        await using var twilio = await FakeTwilioServer.StartAsync(GatewayHost.SmsAccountSid, GatewayHost.SmsAuthToken);
        await using var host = await GatewayHost.StartAsync(
            pluginsJson: GatewayHost.DefaultPluginsJson(twilio.BaseAddress.ToString(), PublicBaseUrl), settings: Identity.ShopSignature.Settings());
        await using var alice = await host.SignInAsync("alice");
        using var http = host.CreateClient();

        // The shop vouches for the signed-in customer's phone (a phone merely typed would join nobody: IdentityEndToEndTests).
        var token = await Identity.ShopSignature.IdentifyAsync(host, Identity.ShopSignature.Identity("shop-user-1", "+86 138-0013-8000", null, null));
        using var sent = await Identity.ShopSignature.SendAsync(host, token, "do you have this jacket in M?");
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        var viaWidget = (await sent.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("conversationId").GetGuid();
        var assigned = await alice.NextAssignedAsync();
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(InboundSms("SM-same-person", "and in L?"))).StatusCode);

        var added = await alice.NextMessageAsync(m => m.Text == "and in L?");
        Assert.Equal(viaWidget, added.ConversationId);
        Assert.Equal("sms", added.Message.ChannelType);
        await using var db = host.CreateDbContext();
        Assert.Equal(1, await db.Contacts.CountAsync());
        Assert.Equal(2, await db.ChannelIdentities.CountAsync());

        // The agent's reply now goes to where the customer wrote last: SMS.
        await alice.ReplyAsync(assigned.Id, "L is in stock too");
        var sms = await twilio.WaitForRequestAsync(r => r.Body == "L is in stock too", TimeSpan.FromSeconds(15));
        Assert.Equal(Customer, sms.To);
    }

    [Fact]
    public async Task ProviderOutage_IsRetriedWithBackoff_AndAPermanentRefusalShowsTheAgentWhy()
    {
        await using var twilio = await FakeTwilioServer.StartAsync(GatewayHost.SmsAccountSid, GatewayHost.SmsAuthToken);
        await using var host = await GatewayHost.StartAsync(pluginsJson: GatewayHost.DefaultPluginsJson(twilio.BaseAddress.ToString(), PublicBaseUrl));
        await using var alice = await host.SignInAsync("alice");
        using var http = host.CreateClient();
        await http.SendAsync(InboundSms("SM-retry", "hello"));
        var conversation = await alice.NextAssignedAsync();

        twilio.FailNext(2, 503);
        var first = await alice.ReplyAsync(conversation.Id, "first try fails twice");
        var sent = await alice.NextStatusAsync(m => m.Id == first.Id);
        Assert.Equal("sent", sent.Message.Status);
        Assert.Equal(3, twilio.Requests.Count(r => r.Body == "first try fails twice"));

        twilio.FailNext(1, 400, 21211, "The 'To' number is not a valid phone number.");
        var second = await alice.ReplyAsync(conversation.Id, "refused for good");
        var failed = await alice.NextStatusAsync(m => m.Id == second.Id);
        Assert.Equal("failed", failed.Message.Status);
        Assert.Contains("21211", failed.Message.Error);
        Assert.Single(twilio.Requests, r => r.Body == "refused for good"); // permanent: not retried

        var deadLetters = JsonDocument.Parse(await alice.Http.GetStringAsync("/api/messages/failed")).RootElement;
        Assert.Equal(second.Id, deadLetters[0].GetProperty("id").GetGuid());
    }

    private static HttpRequestMessage InboundSms(string sid, string body) =>
        Signed("/channels/sms-main/messages", Form(sid, body));

    private static Dictionary<string, string> Form(string sid, string body) => new()
    {
        ["MessageSid"] = sid, ["SmsSid"] = sid, ["AccountSid"] = GatewayHost.SmsAccountSid, ["From"] = Customer, ["To"] = "+15005550006",
        ["Body"] = body, ["NumMedia"] = "0", ["NumSegments"] = "1", ["FromCountry"] = "CN",
    };

    private static HttpRequestMessage Signed(string path, Dictionary<string, string> form) =>
        TwilioSignature.CreateSignedRequest(GatewayHost.SmsAuthToken, PublicBaseUrl, path, form);
}
