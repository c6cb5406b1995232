using System.Text.Json;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Gateway.Tests.Routing;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Tests.Ingest;

/// <summary>
/// Inbound messages are stored in batches (one transaction for everything waiting). What a shop must
/// not notice: every acknowledged message is stored exactly once, a customer is one contact with one
/// open conversation however many of their messages share a batch, and redeliveries inside a batch are
/// recognised as such.
/// </summary>
public sealed class GroupCommitTests
{
    [Fact]
    public async Task ManyMessagesAtOnce_FromFewCustomers_WithRedeliveries_AreEachStoredOnce_OneContactAndConversationPerCustomer()
    {
        await using var host = await GatewayHost.StartAsync();
        using var http = host.CreateClient();
        const int customers = 25, perCustomer = 12;

        // Every message is sent twice at the same moment (a provider retrying before the first answer).
        var sends = Enumerable.Range(0, customers).SelectMany(c => Enumerable.Range(0, perCustomer).SelectMany(m => new[] { (c, m), (c, m) }))
            .Select(x => RoutingTests.Inbound(http, $"gc-{x.c}-{x.m}", $"+1555000{x.c:D4}", $"message {x.m} from customer {x.c}"))
            .ToList();
        var results = await Task.WhenAll(sends);

        var byProviderId = results.Select((r, i) => (Id: i / 2, Result: r)).GroupBy(x => x.Id).ToList();
        foreach (var pair in byProviderId)
        {
            var (first, second) = (pair.First().Result, pair.Last().Result);
            Assert.Equal(first.GetProperty("messageId").GetGuid(), second.GetProperty("messageId").GetGuid());
            Assert.Single(new[] { first, second }, r => r.GetProperty("duplicate").GetBoolean());
        }

        await using var db = host.CreateDbContext();
        Assert.Equal(customers * perCustomer, await db.Messages.CountAsync(m => m.Direction == MessageDirection.In));
        Assert.Equal(customers, await db.Contacts.CountAsync());
        Assert.Equal(customers, await db.Conversations.CountAsync());
        var perConversation = await db.Messages.Where(m => m.Direction == MessageDirection.In).GroupBy(m => m.ConversationId).Select(g => g.Count()).ToListAsync();
        Assert.All(perConversation, n => Assert.Equal(perCustomer, n));

        // Each customer's messages went to their own conversation, whatever batch they landed in.
        var conversationOf = results.Where(r => !r.GetProperty("duplicate").GetBoolean()).Select(r => r.GetProperty("conversationId").GetGuid()).Distinct().Count();
        Assert.Equal(customers, conversationOf);
    }

    [Fact]
    public async Task MessageTheStoreRefuses_FailsAlone_AndTheOthersInItsBatchAreStored()
    {
        await using var host = await GatewayHost.StartAsync();
        using var http = host.CreateClient();
        await using (var setup = host.CreateDbContext())
        {
            // A store-side failure for one message only (as a full disk or a constraint would give).
            if (setup.Database.IsNpgsql())
            {
                await setup.Database.ExecuteSqlRawAsync(
                    "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$; " +
                    "CREATE TRIGGER poison BEFORE INSERT ON \"Messages\" FOR EACH ROW WHEN (NEW.\"Text\" = 'poison') EXECUTE FUNCTION poison();");
            }
            else
            {
                await setup.Database.ExecuteSqlRawAsync("CREATE TRIGGER poison BEFORE INSERT ON Messages WHEN NEW.Text = 'poison' BEGIN SELECT RAISE(ABORT, 'refused'); END;");
            }
        }

        var good = Enumerable.Range(0, 60).Select(i => RoutingTests.Inbound(http, $"ok-{i}", $"+1555100{i % 20:D4}", $"hello {i}")).ToList();
        var poisoned = http.PostAsync("/channels/probe/inbound", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["id"] = "poison-1", ["from"] = "+15551999999", ["phone"] = "+15551999999", ["text"] = "poison",
        }));
        var results = await Task.WhenAll(good);
        var refused = await poisoned;

        Assert.False(refused.IsSuccessStatusCode, "the refused message is not acknowledged, so the provider retries it");
        Assert.All(results, r => Assert.False(r.GetProperty("duplicate").GetBoolean()));
        await using var db = host.CreateDbContext();
        Assert.Equal(60, await db.Messages.CountAsync(m => m.Direction == MessageDirection.In));
        Assert.Equal(20, await db.Contacts.CountAsync());
        Assert.False(await db.Contacts.AnyAsync(c => c.Phone == "+15551999999"), "nothing of the refused message is kept");
    }
}
