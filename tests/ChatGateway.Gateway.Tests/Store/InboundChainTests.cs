using System.Net.Http.Json;
using System.Text.Json;
using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Gateway.Tests.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Gateway.Tests.Store;

/// <summary>
/// A conversation's customer messages are a chain from its inbound head rather than entries of an index by
/// conversation (which cost ingest a random page of the store per message). What agents and customers must
/// not notice: the history shows every message in the order it came, replies and notes in their places,
/// the newest 500 across the customer's conversations; the response watch still finds the first message
/// since the agent's last answer; and a store from before the chains shows the same after the upgrade.
/// </summary>
public sealed class InboundChainTests
{
    [Fact]
    public async Task AgentsHistory_HoldsTheNewest500_AcrossTheCustomersConversations_InTheOrderTheyCame()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var alice = await host.SignInAsync("alice");
        using var http = host.CreateClient();
        var expected = new List<string>();
        Guid first = default;
        for (var i = 0; i < 260; i++)
        {
            var accepted = await RoutingTests.Inbound(http, $"h1-{i}", "+10000000071", $"first {i}");
            first = accepted.GetProperty("conversationId").GetGuid();
            expected.Add($"in:first {i}");
        }

        await alice.NextAssignedAsync();
        await alice.ReplyAsync(first, "answer one");
        expected.Add("out:answer one");
        await alice.CloseAsync(first);

        Guid second = default;
        for (var i = 0; i < 260; i++)
        {
            var accepted = await RoutingTests.Inbound(http, $"h2-{i}", "+10000000071", $"second {i}");
            second = accepted.GetProperty("conversationId").GetGuid();
            expected.Add($"in:second {i}");
        }

        Assert.NotEqual(first, second);
        await alice.NextAssignedAsync();
        await alice.ReplyAsync(second, "answer two");
        expected.Add("out:answer two");

        var detail = (await alice.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{second}"))!;
        var shown = detail.Messages!.Select(m => $"{m.Direction}:{m.Text}").ToList();
        Assert.Equal(ConversationQueries.HistoryLimit, shown.Count);
        Assert.Equal(expected.TakeLast(ConversationQueries.HistoryLimit), shown);
        Assert.Equal(detail.Messages![^1].CreatedAt, detail.LastMessageAt);
    }

    [Fact]
    public async Task MessagesStoredTogether_ShareTheirTime_AndKeepTheOrderTheyWereStoredIn()
    {
        SqliteOnly.Require("reads rows in rowid order");
        await using var host = await GatewayHost.StartAsync();
        await using var alice = await host.SignInAsync("alice");
        using var http = host.CreateClient();
        var conversation = (await RoutingTests.Inbound(http, "t-0", "+10000000111", "start")).GetProperty("conversationId").GetGuid();
        await alice.NextAssignedAsync();
        await Task.WhenAll(Enumerable.Range(1, 30).Select(i => RoutingTests.Inbound(http, $"t-{i}", "+10000000111", $"burst {i}")));

        var stored = new List<(string Text, long CreatedAt)>();
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection(host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<StoreOptions>>().Value.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT \"Text\", \"CreatedAt\" FROM \"Messages\" WHERE \"Direction\" = 0 ORDER BY rowid";
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                stored.Add((reader.GetString(0), reader.GetInt64(1)));
            }
        }

        Assert.True(stored.GroupBy(m => m.CreatedAt).Any(g => g.Count() > 1), "no two messages of the burst were stored in one batch");
        var detail = (await alice.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{conversation}"))!;
        Assert.Equal(stored.Select(m => m.Text), detail.Messages!.Select(m => m.Text));
        var history = new ChannelConversationHistory(host.Services.GetRequiredService<IDbContextFactory<GatewayDbContext>>(), "probe");
        Assert.Equal(stored.Select(m => m.Text), (await history.GetLatestAsync("+10000000111", CancellationToken.None))!.Messages.Select(m => m.Text));
    }

    [Fact]
    public async Task WidgetHistory_ShowsTheVisitorsMessagesAndAnswers_InOrder_AndNothingOfAnotherVisitor()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var alice = await host.SignInAsync("alice");
        using var http = host.CreateClient();
        await RoutingTests.Inbound(http, "w-1", "+10000000081", "hello");
        var conversation = (await RoutingTests.Inbound(http, "w-2", "+10000000081", "anyone there?")).GetProperty("conversationId").GetGuid();
        await alice.NextAssignedAsync();
        await alice.ReplyAsync(conversation, "yes, how can I help?");
        await RoutingTests.Inbound(http, "w-3", "+10000000081", "my parcel");
        await RoutingTests.Inbound(http, "x-1", "+10000000082", "someone else");

        var reader = new ChannelConversationHistory(host.Services.GetRequiredService<IDbContextFactory<GatewayDbContext>>(), "probe");
        var latest = await reader.GetLatestAsync("+10000000081", CancellationToken.None);
        Assert.NotNull(latest);
        Assert.Equal(conversation, latest.ConversationId);
        Assert.Equal(["hello", "anyone there?", "yes, how can I help?", "my parcel"], latest.Messages.Select(m => m.Text));
        Assert.Null(await reader.GetAsync("+10000000082", conversation, CancellationToken.None));
        Assert.Null(await reader.GetLatestAsync("+10000000083", CancellationToken.None));
    }

    [Fact]
    public async Task FirstUnanswered_IsTheFirstCustomerMessageSinceTheAgentsLastAnswer()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var alice = await host.SignInAsync("alice");
        using var http = host.CreateClient();
        var a = await RoutingTests.Inbound(http, "u-1", "+10000000091", "first question");
        var conversation = a.GetProperty("conversationId").GetGuid();
        await alice.NextAssignedAsync();
        await RoutingTests.Inbound(http, "u-2", "+10000000091", "still there?");
        Assert.Equal(a.GetProperty("messageId").GetGuid(), await FirstUnansweredAsync(host, conversation));

        await alice.ReplyAsync(conversation, "here I am");
        Assert.Null(await FirstUnansweredAsync(host, conversation));

        var c = await RoutingTests.Inbound(http, "u-3", "+10000000091", "thanks, one more");
        await RoutingTests.Inbound(http, "u-4", "+10000000091", "and another");
        Assert.Equal(c.GetProperty("messageId").GetGuid(), await FirstUnansweredAsync(host, conversation));
    }

    [Fact]
    public async Task StoreFromBeforeTheChains_ShowsTheSameHistory_AfterTheUpgrade_AndNewMessagesJoinIt()
    {
        var data = Directory.CreateTempSubdirectory("cg-chains-").FullName;
        ConversationDto before;
        Guid conversation;
        Guid? unanswered;
        Guid lastOld;
        await using (var host = await GatewayHost.StartAsync(dataDirectory: data))
        {
            await using var alice = await host.SignInAsync("alice");
            using var http = host.CreateClient();
            var first = await RoutingTests.Inbound(http, "g-1", "+10000000101", "one");
            conversation = first.GetProperty("conversationId").GetGuid();
            await RoutingTests.Inbound(http, "o-1", "+10000000102", "another customer");
            await alice.NextAssignedAsync();
            await RoutingTests.Inbound(http, "g-2", "+10000000101", "two");
            await alice.ReplyAsync(conversation, "answer");
            var three = await RoutingTests.Inbound(http, "g-3", "+10000000101", "three");
            lastOld = (await RoutingTests.Inbound(http, "g-4", "+10000000101", "four")).GetProperty("messageId").GetGuid();
            before = (await alice.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{conversation}"))!;
            unanswered = await FirstUnansweredAsync(host, conversation);
            Assert.Equal(three.GetProperty("messageId").GetGuid(), unanswered);
        }

        // Back to the schema before the chains: the conversation index of every message, no heads.
        await OldStores.RunAsync(data, OldStores.WithoutChains + """
            CREATE INDEX "IX_Messages_ConversationId_CreatedAt_ProviderKey" ON "Messages" ("ConversationId", "CreatedAt", "ProviderKey");
            DELETE FROM "__EFMigrationsHistory" WHERE "MigrationId" LIKE '%_InboundChains';
            """);

        await using (var host = await GatewayHost.StartAsync(dataDirectory: data))
        {
            await using var alice = await host.SignInAsync("alice");
            using var http = host.CreateClient();
            var after = (await alice.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{conversation}"))!;
            Assert.Equal(before.Messages!.Select(m => (m.Id, m.Text)), after.Messages!.Select(m => (m.Id, m.Text)));
            Assert.Equal(before.LastMessageAt, after.LastMessageAt);
            Assert.Equal(unanswered, await FirstUnansweredAsync(host, conversation));

            var redelivered = await RoutingTests.Inbound(http, "g-2", "+10000000101", "two");
            Assert.True(redelivered.GetProperty("duplicate").GetBoolean(), "a redelivery of a message stored before the upgrade is a duplicate");
            var five = await RoutingTests.Inbound(http, "g-5", "+10000000101", "five");
            Assert.Equal(conversation, five.GetProperty("conversationId").GetGuid());
            await using var db = host.CreateDbContext();
            var row = await db.Messages.SingleAsync(m => m.Id == five.GetProperty("messageId").GetGuid());
            Assert.Equal(lastOld, row.PreviousInboundId);
            var shown = (await alice.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{conversation}"))!.Messages!.Select(m => m.Text);
            Assert.Equal(["one", "two", "answer", "three", "four", "five"], shown);
        }
    }

    [Fact]
    public async Task RepliesAndNotesLookup_SeeksTheConversationIndex_WhichHoldsNoCustomerMessage()
    {
        SqliteOnly.Require("SQLite query plan");
        var id = Guid.NewGuid();
        var plan = await ResponseWatchPlanTests.PlanAsync(db => ConversationMessages.LastOtherAt(db, id).Take(1).ToQueryString());

        Assert.Contains(plan, step => step.Contains("INDEX IX_Messages_ConversationId_CreatedAt (ConversationId=?)", StringComparison.Ordinal));
    }

    private static async Task<Guid?> FirstUnansweredAsync(GatewayHost host, Guid conversationId)
    {
        await using var db = host.CreateDbContext();
        var rows = await ResponseWatchService.FirstUnansweredMessages(db).ToListAsync();
        return rows.Single(c => c.Id == conversationId).UnansweredId;
    }
}
