using System.Net;
using System.Net.Http.Json;
using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Tests.Chats;

/// <summary>
/// One person on two of the shop's accounts of one platform (two WeChat official accounts under one open-platform
/// account): each account knows them by its own id, the platform proves they are one (WeChat's UnionID) through the
/// contact profile, and the gateway joins the two contacts. Bad inputs tried: a cross-account id of 201 characters and
/// one with a control character (400, nothing joined).
/// </summary>
public sealed class CrossAccountTests
{
    [Fact]
    public async Task SameCrossAccountId_OnTwoAccounts_JoinsTheContacts_IntoTheOlder_AndTheAgentSeesBothChannels()
    {
        var plugins = "{ \"plugins\": [\n" +
            """{ "id": "webchat", "plugin": "WebChat", "enabled": true, "settings": { "MaxMessageLength": 500, "AllowedOrigins": ["https://shop.example.com"] } },""" + "\n" +
            """{ "id": "service-account", "plugin": "Chat", "enabled": true, "settings": {} },""" + "\n" +
            """{ "id": "mini-program", "plugin": "Chat", "enabled": true, "settings": {} }""" + "\n] }";
        await using var host = await GatewayHost.StartAsync(pluginsJson: plugins);
        await using var bob = await host.SignInAsync("bob");
        using var provider = host.CreateClient();

        var first = await EventAsync(provider, "service-account", "oA-openid-1", "a-1", "我想问一下尺码");
        var firstConversation = (await bob.NextAssignedAsync()).Id;
        var second = await EventAsync(provider, "mini-program", "oB-openid-9", "b-1", "订单什么时候发货？");
        await using (var db = host.CreateDbContext())
        {
            Assert.NotEqual(await ContactOfAsync(db, first), await ContactOfAsync(db, second));
        }

        // Bad ids first: refused, nothing recorded.
        Assert.Equal(HttpStatusCode.BadRequest, await ProfileAsync(provider, "mini-program", "oB-openid-9", new string('u', 201)));
        Assert.Equal(HttpStatusCode.BadRequest, await ProfileAsync(provider, "mini-program", "oB-openid-9", "union\n1"));

        Assert.Equal(HttpStatusCode.NoContent, await ProfileAsync(provider, "service-account", "oA-openid-1", "o6_bmasdasdsad6_2sgVt7hMZOPfL"));
        await using (var db = host.CreateDbContext())
        {
            Assert.Equal(0, await db.ContactMerges.CountAsync());
        }

        Assert.Equal(HttpStatusCode.NoContent, await ProfileAsync(provider, "mini-program", "oB-openid-9", "o6_bmasdasdsad6_2sgVt7hMZOPfL"));
        await using (var db = host.CreateDbContext())
        {
            var older = await ContactOfAsync(db, first);
            var merge = Assert.Single(await db.ContactMerges.ToListAsync());
            Assert.Equal((older, Guid.Empty), (merge.IntoContactId, merge.AgentId));
            Assert.Equal(older, (await db.Contacts.SingleAsync(c => c.Id == merge.FromContactId)).MergedIntoId);
            Assert.Equal(older, await ContactOfAsync(db, second));
        }

        // One customer: the agent can answer on either account.
        var conversation = (await bob.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{firstConversation}"))!;
        Assert.Equal(["mini-program", "service-account"], conversation.ReplyChannels!.Select(r => r.ChannelInstanceId).Order());
    }

    private static async Task<Guid> EventAsync(HttpClient provider, string instance, string from, string id, string text)
    {
        var response = await provider.PostAsJsonAsync($"/channels/{instance}/events", new { events = new[] { new { id, from, text } } });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement[]>())![0].GetProperty("messageId").GetGuid();
    }

    private static async Task<HttpStatusCode> ProfileAsync(HttpClient provider, string instance, string externalId, string crossAccountId) =>
        (await provider.PostAsJsonAsync($"/channels/{instance}/profile", new { externalId, crossAccountId })).StatusCode;

    private static async Task<Guid> ContactOfAsync(GatewayDbContext db, Guid messageId) =>
        await db.Messages.Where(m => m.Id == messageId).Join(db.Conversations, m => m.ConversationId, c => c.Id, (m, c) => c.ContactId).SingleAsync();
}
