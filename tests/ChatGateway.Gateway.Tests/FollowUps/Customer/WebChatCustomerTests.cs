using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ChatGateway.Abstractions;
using ChatGateway.Gateway.Plugins;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ChatGateway.Gateway.Tests.FollowUps.Customer;

/// <summary>The web chat's side: the visitor's notification setting and whether the shop can reach them first.</summary>
public sealed class WebChatCustomerTests
{
    private static async Task<(Contact Contact, ChannelIdentity Identity)> StoredAsync(GatewayHost host, Guid conversationId)
    {
        await using var db = host.CreateDbContext();
        var contactId = await db.Conversations.Where(c => c.Id == conversationId).Select(c => c.ContactId).SingleAsync();
        var contact = await db.Contacts.AsNoTracking().SingleAsync(c => c.Id == contactId);
        var identity = await db.ChannelIdentities.AsNoTracking().SingleAsync(i => i.ContactId == contactId && i.InstanceId == "webchat");
        return (contact, identity);
    }

    private static async Task<string?> OutreachAsync(Visitor visitor) =>
        (await visitor.Http.GetFromJsonAsync<JsonElement>("/channels/webchat/preferences")).GetProperty("outreach").GetString();

    private static Task<HttpResponseMessage> ChooseAsync(Visitor visitor, string json) =>
        visitor.Http.PostAsync("/channels/webchat/preferences", new StringContent(json, Encoding.UTF8, "application/json"));

    // Bad inputs tried: an unknown value, upper case, a number, no field, not JSON, another content type, no token, a
    // made-up token, and a visitor who has not written yet (409): each changes nothing.
    [Fact]
    public async Task WidgetSetting_RecordsNoOffersOrNothingOnTheContact_AndShowsTheCurrentChoice()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var visitor = await Visitor.ArriveAsync(host, connect: false);

        Assert.Equal("all", await OutreachAsync(visitor));
        var early = await ChooseAsync(visitor, """{"outreach":"none"}""");
        Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);
        Assert.Contains("send a message first", await early.Content.ReadAsStringAsync());

        var conversationId = (await visitor.SendOkAsync("hello")).GetProperty("conversationId").GetGuid();

        var noOffers = await ChooseAsync(visitor, """{"outreach":"no-marketing"}""");
        Assert.Equal(HttpStatusCode.OK, noOffers.StatusCode);
        var (contact, identity) = await StoredAsync(host, conversationId);
        Assert.NotNull(contact.MarketingOptOutAt);
        Assert.Null(contact.OptOutAllAt);
        Assert.Null(identity.OptedOutAt); // the widget's choice is the customer's, not this channel's
        Assert.Equal("no-marketing", await OutreachAsync(visitor));

        Assert.Equal(HttpStatusCode.OK, (await ChooseAsync(visitor, """{"outreach":"none"}""")).StatusCode);
        (contact, _) = await StoredAsync(host, conversationId);
        Assert.NotNull(contact.OptOutAllAt);
        Assert.Equal("none", await OutreachAsync(visitor));

        foreach (var bad in new[] { """{"outreach":"sometimes"}""", """{"outreach":"NONE"}""", """{"outreach":3}""", "{}", "not json", "[]" })
        {
            var refused = await ChooseAsync(visitor, bad);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.False(string.IsNullOrEmpty(JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString()), bad);
        }

        var text = await visitor.Http.PostAsync("/channels/webchat/preferences", new StringContent("outreach=all", Encoding.UTF8, "application/x-www-form-urlencoded"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, text.StatusCode);
        using var anonymous = host.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/channels/webchat/preferences", new StringContent("""{"outreach":"all"}""", Encoding.UTF8, "application/json"))).StatusCode);
        anonymous.DefaultRequestHeaders.Add("X-Visitor-Token", "a.made-up.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/channels/webchat/preferences")).StatusCode);
        Assert.Equal("none", await OutreachAsync(visitor)); // nothing above changed it

        Assert.Equal(HttpStatusCode.OK, (await ChooseAsync(visitor, """{"outreach":"all"}""")).StatusCode);
        (contact, _) = await StoredAsync(host, conversationId);
        Assert.Null(contact.OptOutAllAt);
        Assert.Null(contact.MarketingOptOutAt);
        Assert.Equal("all", await OutreachAsync(visitor));
    }

    // Fails without WebChatOutreach: the channel registered no IChannelOutreach and did not declare StartConversation.
    [Fact]
    public async Task WebChat_CanStartAConversation_WhileTheVisitorIsConnected_OrWithin24HoursOfTheirLastMessage()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 2, 0, 0, TimeSpan.Zero));
        await using var host = await GatewayHost.StartAsync(clock: clock);
        var channels = host.Services.GetRequiredService<ChannelRegistry>();
        Assert.True(channels.TryGetRunning("webchat", out var webchat));
        Assert.True(webchat.Plugin!.Capabilities.HasFlag(ChannelCapabilities.StartConversation));
        var outreach = webchat.Services!.GetRequiredService<IChannelOutreach>();

        await using var connected = await Visitor.ArriveAsync(host);
        var conversationId = (await connected.SendOkAsync("hi")).GetProperty("conversationId").GetGuid();
        var (_, identity) = await StoredAsync(host, conversationId);
        var now = clock.GetUtcNow();
        OutreachRequest To(string id, DateTimeOffset? last) => new(new ChannelRecipient { ExternalId = id }, last, Transactional: true);

        Assert.Null(await outreach.CannotReachAsync(To(identity.ExternalId, now.AddDays(-10)), default));
        Assert.Null(await outreach.CannotReachAsync(To("visitor-away", now.AddHours(-23)), default));
        Assert.Contains("not connected", await outreach.CannotReachAsync(To("visitor-away", now.AddHours(-25)), default));
        Assert.Contains("not connected", await outreach.CannotReachAsync(To("visitor-away", null), default));
    }
}
