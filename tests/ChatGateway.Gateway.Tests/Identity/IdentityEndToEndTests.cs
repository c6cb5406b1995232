using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Testing;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Tests.Identity;

/// <summary>
/// Only verified identities join a contact: an SMS sender (signed by the provider) and a visitor the shop
/// vouches for (signed by the shop) are one customer; a visitor who merely types that customer's phone is not.
/// </summary>
public sealed class IdentityEndToEndTests
{
    private const string PublicBaseUrl = "https://shop.example.com";
    private const string Customer = "+8613800138000";

    [Fact]
    public async Task VisitorTypingAVipSmsCustomersPhone_GetsTheirOwnContact_NoVipNoHistoryNoReplies()
    {
        await using var twilio = await FakeTwilioServer.StartAsync(GatewayHost.SmsAccountSid, GatewayHost.SmsAuthToken);
        await using var host = await GatewayHost.StartAsync(
            pluginsJson: GatewayHost.DefaultPluginsJson(twilio.BaseAddress.ToString(), PublicBaseUrl),
            settings: new Dictionary<string, string?> { ["Routing:VipContacts:0"] = Customer });
        await using var alice = await host.SignInAsync("alice");
        using var http = host.CreateClient();

        // The real customer texts the shop and gets an answer with private details.
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(InboundSms("SM-vip-1", "do you have the red jacket in M?"))).StatusCode);
        var sms = await alice.NextAssignedAsync();
        Assert.Equal(9, sms.Priority);
        await alice.ReplyAsync(sms.Id, "Order 4711 ships to 12 Secret Road");
        await twilio.WaitForRequestAsync(r => r.Body == "Order 4711 ships to 12 Secret Road", TimeSpan.FromSeconds(15));

        // Someone on the web chat types that customer's phone number (in another spelling) and a name.
        await using var mallory = await Visitor.ArriveAsync(host);
        var sent = await mallory.Http.PostAsJsonAsync("/channels/webchat/messages", new
        {
            clientMessageId = "m-1", text = "do you have the red jacket in L?", phone = "+86 138-0013-8000", name = "Mallory", email = "vip@example.com",
        });
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        var theirs = (await sent.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("conversationId").GetGuid();
        var visitorConversation = await alice.NextAssignedAsync();

        // Their own conversation, contact and (default) priority.
        Assert.NotEqual(sms.Id, theirs);
        Assert.Equal(theirs, visitorConversation.Id);
        Assert.NotEqual(9, visitorConversation.Priority);
        Assert.False(visitorConversation.Contact.IsVip);
        Assert.Null(visitorConversation.Contact.Phone);
        Assert.Equal("+8613800138000", visitorConversation.Contact.DeclaredPhone);
        Assert.Equal("Mallory", visitorConversation.Contact.DeclaredName);
        Assert.Equal("vip@example.com", visitorConversation.Contact.DeclaredEmail);

        // They never see the customer's history...
        var history = await mallory.Http.GetStringAsync("/channels/webchat/conversation");
        Assert.DoesNotContain("Secret Road", history, StringComparison.Ordinal);
        Assert.DoesNotContain("jacket in M", history, StringComparison.Ordinal);

        // ...nor the agent's next reply to the customer, which still goes out by SMS to the customer.
        await alice.ReplyAsync(sms.Id, "Your parcel arrives today");
        var reply = await twilio.WaitForRequestAsync(r => r.Body == "Your parcel arrives today", TimeSpan.FromSeconds(15));
        Assert.Equal(Customer, reply.To);
        await Assert.ThrowsAsync<TimeoutException>(() => mallory.NextFrameAsync(
            f => f.GetProperty("type").GetString() == "message" && f.GetProperty("message").GetProperty("text").GetString()!.Contains("parcel", StringComparison.Ordinal),
            TimeSpan.FromSeconds(2)));

        // The customer's contact is neither renamed nor given the typed email.
        await using var db = host.CreateDbContext();
        var customer = await db.Contacts.SingleAsync(c => c.Phone == Customer);
        Assert.Null(customer.DisplayName);
        Assert.Null(customer.Email);
        Assert.Null(customer.DeclaredName);
        Assert.Equal(2, await db.Contacts.CountAsync());
    }

    [Fact]
    public async Task VisitorTheShopVouchesFor_WithTheSmsCustomersPhone_JoinsThem_AndTheAgentSeesOneHistory()
    {
        await using var twilio = await FakeTwilioServer.StartAsync(GatewayHost.SmsAccountSid, GatewayHost.SmsAuthToken);
        await using var host = await GatewayHost.StartAsync(
            pluginsJson: GatewayHost.DefaultPluginsJson(twilio.BaseAddress.ToString(), PublicBaseUrl), settings: ShopSignature.Settings());
        await using var alice = await host.SignInAsync("alice");
        using var http = host.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(InboundSms("SM-joined-1", "is the jacket in M?"))).StatusCode);
        var sms = await alice.NextAssignedAsync();

        var token = await ShopSignature.IdentifyAsync(host, ShopSignature.Identity("shop-user-7", Customer, "li@example.com", "Li Wei"));
        using var sent = await ShopSignature.SendAsync(host, token, "I'm on your website now");

        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        Assert.Equal(sms.Id, (await sent.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("conversationId").GetGuid());
        var added = await alice.NextMessageAsync(m => m.Text == "I'm on your website now");
        Assert.Equal(sms.Id, added.ConversationId);
        var detail = await alice.Http.GetFromJsonAsync<JsonElement>($"/api/conversations/{sms.Id}");
        var texts = detail.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("text").GetString()).ToList();
        Assert.Contains("is the jacket in M?", texts);
        Assert.Contains("I'm on your website now", texts);
        // The shop vouched for the name and email: they are the contact's, verified.
        Assert.Equal("Li Wei", detail.GetProperty("contact").GetProperty("displayName").GetString());
        Assert.Equal("li@example.com", detail.GetProperty("contact").GetProperty("email").GetString());

        // In the widget they see what they wrote there (other channels' messages stay with the agents).
        using var widget = host.CreateClient();
        widget.DefaultRequestHeaders.Add("X-Visitor-Token", token);
        var history = await widget.GetFromJsonAsync<JsonElement>("/channels/webchat/conversation");
        Assert.Equal(["I'm on your website now"], history.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("text").GetString()));

        await using var db = host.CreateDbContext();
        Assert.Equal(1, await db.Contacts.CountAsync());
        Assert.Equal(2, await db.ChannelIdentities.CountAsync());
    }

    // Bad inputs tried: a random token of the kind the gateway used to issue, and a made-up one in today's shape.
    [Theory]
    [InlineData("abcdefghijABCDEFGHIJ0123456789abcdefghijABC")]
    [InlineData("a.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public async Task MadeUpVisitorToken_Gets401_AndNothingIsStored(string token)
    {
        await using var host = await GatewayHost.StartAsync();

        using var response = await ShopSignature.SendAsync(host, token, "hello?");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("visitor token", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), StringComparison.Ordinal);
        await using var db = host.CreateDbContext();
        Assert.Equal(0, await db.Contacts.CountAsync());
    }

    [Fact]
    public async Task VisitorToken_AfterTheGatewayRestarts_IsStillGood_BecauseTheKeyIsKeptInTheStore()
    {
        var data = Directory.CreateTempSubdirectory("cg-test-").FullName;
        string token;
        await using (var first = await GatewayHost.StartAsync(dataDirectory: data))
        {
            await using var visitor = await Visitor.ArriveAsync(first, connect: false);
            token = visitor.Token;
            Assert.Equal(HttpStatusCode.Accepted, (await ShopSignature.SendAsync(first, token, "before the restart")).StatusCode);
        }

        await using var second = await GatewayHost.StartAsync(dataDirectory: data);
        using var response = await ShopSignature.SendAsync(second, token, "after the restart");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await using var db = second.CreateDbContext();
        Assert.Equal(1, await db.GatewayKeys.CountAsync(k => k.Name == "master"));
        Assert.Equal(1, await db.Contacts.CountAsync());
    }

    private static HttpRequestMessage InboundSms(string sid, string body) =>
        TwilioSignature.CreateSignedRequest(GatewayHost.SmsAuthToken, PublicBaseUrl, "/channels/sms-main/messages", new Dictionary<string, string>
        {
            ["MessageSid"] = sid, ["SmsSid"] = sid, ["AccountSid"] = GatewayHost.SmsAccountSid, ["From"] = Customer, ["To"] = "+15005550006",
            ["Body"] = body, ["NumMedia"] = "0", ["NumSegments"] = "1", ["FromCountry"] = "CN",
        });
}
