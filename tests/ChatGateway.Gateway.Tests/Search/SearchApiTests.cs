using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatGateway.Gateway.Search;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Gateway.Web;

namespace ChatGateway.Gateway.Tests.Search;

/// <summary>GET /api/search?q=: contacts by name, phone, email, channel id and order number; conversations by what customers and agents wrote.</summary>
public sealed class SearchApiTests
{
    internal static async Task<Guid> ArriveAsync(HttpClient http, string id, string from, string text, string? name = null)
    {
        var form = new Dictionary<string, string> { ["id"] = id, ["from"] = from, ["phone"] = from, ["text"] = text };
        if (name is not null)
        {
            form["name"] = name;
        }

        var response = await http.PostAsync("/channels/probe/inbound", new FormUrlEncodedContent(form));
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("conversationId").GetGuid();
    }

    internal static async Task<SearchResultDto> SearchAsync(HttpClient http, string q)
    {
        var response = await http.GetAsync("/api/search?q=" + Uri.EscapeDataString(q));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<SearchResultDto>())!;
    }

    [Fact]
    public async Task Search_EmptyOneCharOr101Chars_Get400WithTheReason_AndWithoutSignIn401()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var bob = await host.SignInAsync("bob");

        foreach (var q in new[] { "", "   ", " a ", new string('x', 101) })
        {
            var response = await bob.Http.GetAsync("/api/search?q=" + Uri.EscapeDataString(q));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("2 to 100 characters", (await response.Content.ReadFromJsonAsync<ErrorDto>())!.Error);
        }

        Assert.Equal(HttpStatusCode.BadRequest, (await bob.Http.GetAsync("/api/search")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await bob.Http.GetAsync("/api/search?q=" + new string('x', 100))).StatusCode);
        using var anonymous = host.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/search?q=refund")).StatusCode);
    }

    [Fact]
    public async Task Search_FindsMessagesPhonesNamesAndOrders_WildcardsLiteral_ChineseAndAnyCase()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var bob = await host.SignInAsync("bob");
        using var http = host.CreateClient();

        var parcel = await ArriveAsync(http, "s1", "+8613800138000", "我的快递还没到，三天了", name: "王小明");
        var percent = await ArriveAsync(http, "s2", "+10000000002", "Is there a 50% discount on the blue kettle?");
        var plain = await ArriveAsync(http, "s3", "+10000000003", "The price went from 500 to 450, why?");
        var underscore = await ArriveAsync(http, "s4", "+10000000004", "my coupon code is SPRING_SALE");
        var nearly = await ArriveAsync(http, "s5", "+10000000005", "my coupon code is SPRINGxSALE");
        var order = await ArriveAsync(http, "s6", "+10000000006", "hello, a question");

        // Chinese text, with a snippet around the match; the contact's name in Chinese too.
        var chinese = await SearchAsync(bob.Http, "快递");
        var hit = Assert.Single(chinese.Conversations);
        Assert.Equal(parcel, hit.Id);
        Assert.Contains("快递", hit.Snippet);
        Assert.Equal("message", hit.MatchedOn);
        Assert.Empty(chinese.Contacts); // nobody is named or numbered 快递
        var byName = await SearchAsync(bob.Http, "小明");
        Assert.Equal("name", Assert.Single(byName.Contacts).MatchedOn);
        Assert.Equal(parcel, byName.Contacts[0].NewestConversationId);

        // "%" and "_" match themselves, not any text.
        var literal = await SearchAsync(bob.Http, "0%");
        Assert.Equal([percent], literal.Conversations.Select(c => c.Id));
        Assert.DoesNotContain(literal.Conversations, c => c.Id == plain);
        var underscored = await SearchAsync(bob.Http, "g_s");
        Assert.Equal([underscore], underscored.Conversations.Select(c => c.Id));
        Assert.DoesNotContain(underscored.Conversations, c => c.Id == nearly);

        // Latin letters in any case.
        var anyCase = await SearchAsync(bob.Http, "BLUE KETTLE");
        Assert.Equal([percent], anyCase.Conversations.Select(c => c.Id));

        // The phone's national digits find the number stored with its country code.
        var phone = await SearchAsync(bob.Http, "138 0013 8000");
        var contact = Assert.Single(phone.Contacts);
        Assert.Equal("+8613800138000", contact.Contact.Phone);
        Assert.Equal("phone", contact.MatchedOn);

        // An order number, as the shop shows it or bare: its buyer and their conversation.
        Guid contactId;
        await using (var db = host.CreateDbContext())
        {
            contactId = db.Conversations.Single(c => c.Id == order).ContactId;
            db.Orders.Add(new Order
            {
                Id = Guid.NewGuid(), SourceInstanceId = "orders", ExternalOrderId = "#7788", SourceOrderId = "550077880",
                ContactId = contactId, State = OrderState.Paid, CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
            });
            await db.SaveChangesAsync();
        }

        foreach (var q in new[] { "#7788", "7788", "550077880" })
        {
            var byOrder = await SearchAsync(bob.Http, q);
            var buyer = Assert.Single(byOrder.Contacts, c => c.Contact.Id == contactId);
            Assert.Equal("order", buyer.MatchedOn);
            Assert.Equal("#7788", buyer.Order);
            Assert.Contains(byOrder.Conversations, c => c.Id == order && c.MatchedOn == "order");
        }

        // Nothing found is an empty answer, not an error; a part of an order number is no order.
        var none = await SearchAsync(bob.Http, "778");
        Assert.DoesNotContain(none.Contacts, c => c.MatchedOn == "order");
        Assert.Empty((await SearchAsync(bob.Http, "nothing like this")).Conversations);
    }

    [Fact]
    public async Task Search_AgentsRepliesAreFound_NotesAreNot_AndResultsSayStatusAndAgent()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var bob = await host.SignInAsync("bob");
        using var http = host.CreateClient();

        var id = await ArriveAsync(http, "n1", "+10000000011", "hi, a question about the teapot");
        await bob.NextAssignedAsync();
        await bob.ReplyAsync(id, "亲，您的包裹已经发出，请耐心等待");
        var transfer = await bob.Http.PostAsJsonAsync($"/api/conversations/{id}/transfer", new { toSkill = "logistics", note = "zebra-note" });
        Assert.Equal(HttpStatusCode.OK, transfer.StatusCode);

        var reply = Assert.Single((await SearchAsync(bob.Http, "包裹已经发出")).Conversations);
        Assert.Equal(id, reply.Id);
        Assert.Empty((await SearchAsync(bob.Http, "zebra-note")).Conversations);
        Assert.Contains(reply.Status, new[] { "waiting", "assigned" });
        Assert.Equal("logistics", reply.Skill);
    }
}
