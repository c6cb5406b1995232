using System.Net;
using System.Net.Http.Json;
using System.Text;

using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Testing;

using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Tests.EndToEnd;

/// <summary>
/// WhatsApp through the real host (the WhatsApp plugin deployed from src/Plugins as the gateway deploys it) and a fake
/// Graph API speaking its wire format: webhooks signed with the app secret, the customer's profile name and proven phone
/// number, the agent's answer posted to <c>/messages</c>, Meta's delivery status reported back, a picture WhatsApp could
/// not give stored with its caption. Bad input tried: a webhook signed with another secret (401, nothing stored).
/// </summary>
public sealed class WhatsAppEndToEndTests
{
    private const string Instance = "whatsapp";
    private const string AppSecret = "e2e-whatsapp-app-secret";
    private const string VerifyToken = "e2e-whatsapp-verify-token";
    private const string AccessToken = "e2e-whatsapp-access-token";
    private const string PhoneNumberId = "106540352242922";
    private const string PublicBaseUrl = "https://shop.example.com";

    [Fact]
    public async Task WhatsAppCustomer_ReachesTheAgentWithTheirProfileName_AndTheReplyAndItsDeliveryGoThroughGraph()
    {
        await using var graph = await FakeWhatsAppServer.StartAsync(AccessToken, PhoneNumberId);
        await using var host = await StartAsync(graph);
        await using var bob = await host.SignInAsync("bob");
        using var http = host.CreateClient();

        Assert.Equal(HttpStatusCode.OK, await PostAsync(http, TextMessage("wamid.E2E1", "15551234567", "Mei Lin", "hello, is the red dress in stock?")));
        var assigned = await bob.NextAssignedAsync();
        Assert.Equal("whatsapp", assigned.ChannelType);
        Assert.Equal(("Mei Lin", "+15551234567"), (assigned.Contact.DisplayName, assigned.Contact.Phone));

        var reply = await bob.ReplyAsync(assigned.Id, "Yes, in stock in all sizes.");
        var sent = await graph.WaitForSentAsync(s => s.Text == "Yes, in stock in all sizes.");
        Assert.Equal(("15551234567", "text"), (sent.To, sent.Type));
        await bob.NextStatusAsync(m => m.Id == reply.Id && m.Status == "sent");

        Assert.Equal(HttpStatusCode.OK, await PostAsync(http, Status(sent.MessageId, "read")));
        await bob.NextStatusAsync(m => m.Id == reply.Id && m.Status == "delivered");
    }

    [Fact]
    public async Task WhatsAppMessage_FromTheNumberOfAnEarlierSms_JoinsTheSameContact()
    {
        await using var twilio = await FakeTwilioServer.StartAsync(GatewayHost.SmsAccountSid, GatewayHost.SmsAuthToken);
        await using var graph = await FakeWhatsAppServer.StartAsync(AccessToken, PhoneNumberId);
        await using var host = await StartAsync(graph, twilio);
        using var http = host.CreateClient();

        var sms = await http.SendAsync(TwilioSignature.CreateSignedRequest(GatewayHost.SmsAuthToken, PublicBaseUrl, "/channels/sms-main/messages", new Dictionary<string, string>
        {
            ["MessageSid"] = "SM-e2e-1", ["SmsSid"] = "SM-e2e-1", ["AccountSid"] = GatewayHost.SmsAccountSid, ["From"] = "+15551234567", ["To"] = "+15005550006",
            ["Body"] = "where is my parcel?", ["NumMedia"] = "0", ["NumSegments"] = "1", ["FromCountry"] = "US",
        }));
        Assert.Equal(HttpStatusCode.OK, sms.StatusCode);
        Assert.Equal(HttpStatusCode.OK, await PostAsync(http, TextMessage("wamid.E2E2", "15551234567", "Mei Lin", "it's me again, on WhatsApp")));

        await using var db = host.CreateDbContext();
        // Both of the customer's messages are stored (an automatic answer may be too), and one contact holds both numbers.
        Assert.Equal(2, await db.Messages.CountAsync(m => m.ProviderMessageId == "SM-e2e-1" || m.ProviderMessageId == "wamid.E2E2"));
        Assert.Equal(1, await db.Contacts.CountAsync());
    }

    [Fact]
    public async Task PictureWhoseDownloadKeepsFailing_Is200_AndTheMessageIsStoredWithItsCaption()
    {
        await using var graph = await FakeWhatsAppServer.StartAsync(AccessToken, PhoneNumberId);
        graph.AddMedia("1003383421387256", [0xFF, 0xD8, 0xFF, 0xE0, 0xFF, 0xD9], "image/jpeg");
        graph.FailNextDownload(500);
        graph.FailNextDownload(500);
        graph.FailNextDownload(500);
        await using var host = await StartAsync(graph);
        using var http = host.CreateClient();

        Assert.Equal(HttpStatusCode.OK, await PostAsync(http, Change("""
            "contacts":[{"profile":{"name":"Mei Lin"},"wa_id":"15551234567"}],"messages":[{"from":"15551234567","id":"wamid.E2E3","timestamp":"1765000000","type":"image","image":{"id":"1003383421387256","mime_type":"image/jpeg","caption":"the box arrived crushed"}}]
            """)));

        await using var db = host.CreateDbContext();
        var stored = await db.Messages.SingleAsync(m => m.ProviderMessageId == "wamid.E2E3");
        Assert.Equal("the box arrived crushed", stored.Text);
        Assert.Equal(0, await db.Attachments.CountAsync());
        Assert.Equal(3, graph.MediaDownloads);
        // The agent sees a photo came and could not be fetched, and why.
        var content = await db.MessageContents.SingleAsync(c => c.MessageId == stored.Id);
        Assert.True(content.UnsupportedFailed);
        Assert.Equal("image", content.UnsupportedKind);
        Assert.Contains("could not be downloaded from WhatsApp", content.UnsupportedSummary);
    }

    [Fact]
    public async Task ClickToWhatsAppAd_IsTheConversationsOrigin_ForTheAgent()
    {
        await using var graph = await FakeWhatsAppServer.StartAsync(AccessToken, PhoneNumberId);
        await using var host = await StartAsync(graph);
        await using var bob = await host.SignInAsync("bob");
        using var http = host.CreateClient();

        Assert.Equal(HttpStatusCode.OK, await PostAsync(http, Change("""
            "contacts":[{"profile":{"name":"Mei Lin"},"wa_id":"15551234567"}],"messages":[{"from":"15551234567","id":"wamid.E2E4","timestamp":"1765000000","type":"text","text":{"body":"Is this still on sale?"},"referral":{"source_url":"https://fb.me/3cr4Wqqkv","source_id":"120211100000000","source_type":"ad","headline":"Linen shirts -30%","body":"This week only","media_type":"image","image_url":"https://example.com/ad.jpg","ctwa_clid":"ARAkLkA8rmlFeiCktEJQ"}}]
            """)));

        var assigned = await bob.NextAssignedAsync();
        var conversation = (await bob.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{assigned.Id}"))!;
        Assert.Equal(new OriginDto("ad", "120211100000000", "https://fb.me/3cr4Wqqkv", "Linen shirts -30%"), conversation.Origin);
    }

    [Fact]
    public async Task Webhook_SignedWithAnotherSecret_Is401_AndStoresNothing()
    {
        await using var graph = await FakeWhatsAppServer.StartAsync(AccessToken, PhoneNumberId);
        await using var host = await StartAsync(graph);
        using var http = host.CreateClient();

        using var response = await http.SendAsync(Signed(TextMessage("wamid.FORGED", "15551234567", "Mei Lin", "refund me"), "not-the-app-secret"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        await using var db = host.CreateDbContext();
        Assert.Equal(0, await db.Messages.CountAsync());
    }

    [Fact]
    public async Task WebhookVerification_WithTheVerifyToken_AnswersTheChallenge()
    {
        await using var graph = await FakeWhatsAppServer.StartAsync(AccessToken, PhoneNumberId);
        await using var host = await StartAsync(graph);
        using var http = host.CreateClient();

        var right = await http.GetAsync($"/channels/{Instance}/webhook?hub.mode=subscribe&hub.verify_token={VerifyToken}&hub.challenge=8812345");
        var wrong = await http.GetAsync($"/channels/{Instance}/webhook?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=8812345");

        Assert.Equal((HttpStatusCode.OK, "8812345"), (right.StatusCode, await right.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
    }

    private static Task<GatewayHost> StartAsync(FakeWhatsAppServer graph, FakeTwilioServer? twilio = null)
    {
        var entries = new List<string>
        {
            """{ "id": "webchat", "plugin": "WebChat", "enabled": true, "settings": { "MaxMessageLength": 500, "AllowedOrigins": ["https://shop.example.com"] } }""",
            $$"""{ "id": "{{Instance}}", "plugin": "WhatsApp", "enabled": true, "settings": { "PhoneNumberId": "{{PhoneNumberId}}", "ApiBaseAddress": "{{graph.BaseAddress}}" } }""",
        };
        if (twilio is not null)
        {
            entries.Add($$"""{ "id": "sms-main", "plugin": "Sms", "enabled": true, "settings": { "AccountSid": "{{GatewayHost.SmsAccountSid}}", "FromNumber": "+15005550006", "PublicBaseUrl": "{{PublicBaseUrl}}", "ApiBaseAddress": "{{twilio.BaseAddress}}" } }""");
        }

        return GatewayHost.StartAsync(pluginsJson: "{ \"plugins\": [\n" + string.Join(",\n", entries) + "\n] }", settings: new Dictionary<string, string?>
        {
            [$"Channels:{Instance}:AppSecret"] = AppSecret,
            [$"Channels:{Instance}:VerifyToken"] = VerifyToken,
            [$"Channels:{Instance}:AccessToken"] = AccessToken,
        });
    }

    private static async Task<HttpStatusCode> PostAsync(HttpClient http, string body)
    {
        using var response = await http.SendAsync(Signed(body, AppSecret));
        return response.StatusCode;
    }

    private static HttpRequestMessage Signed(string body, string secret)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var request = new HttpRequestMessage(HttpMethod.Post, $"/channels/{Instance}/webhook") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add("X-Hub-Signature-256", FakeWhatsAppServer.Sign(secret, bytes));
        return request;
    }

    /// <summary>A webhook body of one text message, as Meta posts it.</summary>
    private static string TextMessage(string id, string waId, string name, string text) =>
        Change($$"""
            "contacts":[{"profile":{"name":"{{name}}"},"wa_id":"{{waId}}"}],"messages":[{"from":"{{waId}}","id":"{{id}}","timestamp":"{{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}}","text":{"body":"{{text}}"},"type":"text"}]
            """);

    private static string Status(string id, string status) =>
        Change($$"""
            "statuses":[{"id":"{{id}}","status":"{{status}}","timestamp":"{{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}}","recipient_id":"15551234567"}]
            """);

    private static string Change(string value) =>
        $$"""{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"{{PhoneNumberId}}"},{{value}}},"field":"messages"}]}]}""";
}
