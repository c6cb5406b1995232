using System.Text.Json;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Gateway.Tests.Routing;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Tests.Ingest;

/// <summary>
/// How the inbound writer finds what is already stored: a redelivery through the unique index of customer
/// messages by (instance, provider id), and customers' rows it remembers between batches until another
/// connection writes. What a shop must not notice: a redelivery is always
/// recognised (after a restart, once the conversation was closed, once the sender's contact was merged
/// into another), two different messages are never taken for one, and a conversation an agent closed is
/// never reused.
/// </summary>
public sealed class InboundLookupTests
{
    [Fact]
    public async Task StoreFromBeforeTheHashedKey_StillRecognisesRedeliveries_AfterTheUpgrade()
    {
        var data = Directory.CreateTempSubdirectory("cg-upgrade-").FullName;
        string firstId;
        await using (var host = await GatewayHost.StartAsync(dataDirectory: data))
        {
            using var http = host.CreateClient();
            firstId = (await RoutingTests.Inbound(http, "old-1", "+15552220001", "stored before the upgrade")).GetProperty("messageId").GetString()!;
        }

        // Put the store back to the schema before the hashed key: no key column, the unique text index,
        // the conversation index without the key, no chains of customer messages.
        await OldStores.RunAsync(data, OldStores.WithoutChains + """
            DROP INDEX "IX_Messages_ProviderKey";
            ALTER TABLE "Messages" DROP COLUMN "ProviderKey";
            CREATE UNIQUE INDEX "IX_Messages_InstanceId_Direction_ProviderMessageId" ON "Messages" ("InstanceId", "Direction", "ProviderMessageId");
            CREATE INDEX "IX_Messages_ConversationId_CreatedAt" ON "Messages" ("ConversationId", "CreatedAt");
            DELETE FROM "__EFMigrationsHistory" WHERE "MigrationId" LIKE '%_HashedProviderKey' OR "MigrationId" LIKE '%_InboundKeysInConversationIndex' OR "MigrationId" LIKE '%_InboundChains';
            """);

        await using (var host = await GatewayHost.StartAsync(dataDirectory: data))
        {
            using var http = host.CreateClient();
            var again = await RoutingTests.Inbound(http, "old-1", "+15552220001", "stored before the upgrade");
            Assert.True(again.GetProperty("duplicate").GetBoolean(), "the provider's redelivery of a message stored before the upgrade is a duplicate");
            Assert.Equal(firstId, again.GetProperty("messageId").GetString());

            await using var db = host.CreateDbContext();
            Assert.Equal(1, await db.Messages.CountAsync(m => m.ProviderMessageId == "old-1"));
            Assert.Equal(0, await db.Messages.CountAsync(m => m.ProviderMessageId != null && m.ProviderKey == null));
        }
    }

    [Fact]
    public async Task Redelivery_AfterItsConversationWasClosed_AndANewOneOpened_IsStillADuplicate()
    {
        await using var host = await GatewayHost.StartAsync();
        using var http = host.CreateClient();
        var first = await RoutingTests.Inbound(http, "r-1", "+15552220004", "where is my parcel?");
        var firstConversation = first.GetProperty("conversationId").GetGuid();
        await using (var db = host.CreateDbContext())
        {
            await db.Conversations.Where(c => c.Id == firstConversation)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, ConversationStatus.Closed).SetProperty(c => c.ClosedAt, DateTimeOffset.UtcNow));
        }

        var next = await RoutingTests.Inbound(http, "r-2", "+15552220004", "another question");
        var again = await RoutingTests.Inbound(http, "r-1", "+15552220004", "where is my parcel?");

        Assert.NotEqual(firstConversation, next.GetProperty("conversationId").GetGuid());
        Assert.True(again.GetProperty("duplicate").GetBoolean(), "the redelivery of a message of the closed conversation is a duplicate");
        Assert.Equal(first.GetProperty("messageId").GetString(), again.GetProperty("messageId").GetString());
        Assert.Equal(firstConversation, again.GetProperty("conversationId").GetGuid());
        await using var check = host.CreateDbContext();
        Assert.Equal(2, await check.Messages.CountAsync(m => m.Direction == MessageDirection.In));
    }

    [Fact]
    public async Task Redelivery_AfterTheSendersContactWasMergedIntoAnother_IsStillADuplicate_AlsoAfterARestart()
    {
        var data = Directory.CreateTempSubdirectory("cg-merge-").FullName;
        JsonElement bobs;
        await using (var host = await GatewayHost.StartAsync(dataDirectory: data))
        {
            using var http = host.CreateClient();
            await RoutingTests.Inbound(http, "m-1", "alice", "hello from alice", phone: "+15552220005");
            bobs = await RoutingTests.Inbound(http, "m-2", "bob", "hello from bob", phone: "+15552220006");

            // Bob now gives Alice's number: one person, Bob's contact is merged into Alice's.
            await RoutingTests.Inbound(http, "m-3", "bob", "it's me again, new number", phone: "+15552220005");
            var again = await RoutingTests.Inbound(http, "m-2", "bob", "hello from bob", phone: "+15552220006");

            Assert.True(again.GetProperty("duplicate").GetBoolean(), "a message stored before the merge is still recognised");
            Assert.Equal(bobs.GetProperty("messageId").GetString(), again.GetProperty("messageId").GetString());
            await using var db = host.CreateDbContext();
            Assert.Equal(1, await db.Contacts.CountAsync());
        }

        await using (var host = await GatewayHost.StartAsync(dataDirectory: data))
        {
            using var http = host.CreateClient();
            var afterRestart = await RoutingTests.Inbound(http, "m-2", "bob", "hello from bob", phone: "+15552220006");
            var aliceAgain = await RoutingTests.Inbound(http, "m-1", "alice", "hello from alice", phone: "+15552220005");

            Assert.True(afterRestart.GetProperty("duplicate").GetBoolean());
            Assert.True(aliceAgain.GetProperty("duplicate").GetBoolean());
            Assert.Equal(bobs.GetProperty("messageId").GetString(), afterRestart.GetProperty("messageId").GetString());
            await using var db = host.CreateDbContext();
            Assert.Equal(3, await db.Messages.CountAsync(m => m.Direction == MessageDirection.In));
        }
    }

    [Fact]
    public async Task DeliveryReportLookup_SeeksTheProviderKeyIndex_ThoughOnlySentMessagesAreInIt()
    {
        SqliteOnly.Require("SQLite query plan");
        await using var host = await GatewayHost.StartAsync();
        using var http = host.CreateClient();
        await RoutingTests.Inbound(http, "d-1", "+15552220007", "a message in the store");

        await using var db = host.CreateDbContext();
        var key = Message.KeyOf("probe", MessageDirection.Out, "SM123");
        var sql = db.Messages
            .Where(m => m.ProviderKey == key && m.InstanceId == "probe" && m.Direction == MessageDirection.Out && m.ProviderMessageId == "SM123")
            .ToQueryString();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        // The parameters' declarations ToQueryString puts first are dropped: the plan does not depend on their values.
        command.CommandText = "EXPLAIN QUERY PLAN " + string.Join('\n', sql.Split('\n').Where(line => !line.StartsWith(".param", StringComparison.Ordinal)));
        var plan = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(3));
            }
        }

        Assert.Contains(plan, step => step.Contains("USING INDEX IX_Messages_ProviderKey", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TwoProviderIdsWithTheSameKey_AreTwoMessages()
    {
        await using var host = await GatewayHost.StartAsync();
        using var http = host.CreateClient();
        await RoutingTests.Inbound(http, "k-1", "+15552220002", "first");

        // A 64-bit key is shared by two ids once in a while: make the stored message's key that of the next id.
        await using (var db = host.CreateDbContext())
        {
            var collide = Message.KeyOf("probe", MessageDirection.In, "k-2");
            Assert.Equal(1, await db.Messages.Where(m => m.ProviderMessageId == "k-1").ExecuteUpdateAsync(s => s.SetProperty(m => m.ProviderKey, collide)));
        }

        var second = await RoutingTests.Inbound(http, "k-2", "+15552220002", "second");

        Assert.False(second.GetProperty("duplicate").GetBoolean(), "a different message sharing the key is not a redelivery");
        await using var check = host.CreateDbContext();
        Assert.Equal(["first", "second"], await check.Messages.Where(m => m.Direction == MessageDirection.In).OrderBy(m => m.CreatedAt).Select(m => m.Text).ToListAsync());
    }

    [Fact]
    public async Task ConversationClosedByAnotherConnection_IsNotReused_ByTheWriterThatRemembersIt()
    {
        await using var host = await GatewayHost.StartAsync();
        using var http = host.CreateClient();
        var first = (await RoutingTests.Inbound(http, "c-1", "+15552220003", "hello")).GetProperty("conversationId").GetGuid();
        Assert.Equal(first, (await RoutingTests.Inbound(http, "c-2", "+15552220003", "still there?")).GetProperty("conversationId").GetGuid());

        // Closed elsewhere (an agent's request is another connection to the store).
        await using (var db = host.CreateDbContext())
        {
            await db.Conversations.Where(c => c.Id == first)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, ConversationStatus.Closed).SetProperty(c => c.ClosedAt, DateTimeOffset.UtcNow));
        }

        var next = (await RoutingTests.Inbound(http, "c-3", "+15552220003", "one more question")).GetProperty("conversationId").GetGuid();

        Assert.NotEqual(first, next);
        await using var check = host.CreateDbContext();
        Assert.Equal(ConversationStatus.Closed, (await check.Conversations.SingleAsync(c => c.Id == first)).Status);
        Assert.Equal(ConversationStatus.Waiting, (await check.Conversations.SingleAsync(c => c.Id == next)).Status);
        Assert.Equal(1, await check.Contacts.CountAsync());
    }
}
