using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Gateway.Tests.Routing;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Tests.Store;

/// <summary>
/// The promises ingest rests on are the store's own (CI runs this on SQLite and on PostgreSQL): whatever writes a second
/// contact for a verified phone or email, or a second identity of one sender, the store refuses it; on PostgreSQL also a
/// second copy of a customer message (on SQLite the writers, one at a time under its write lock, look up and insert in
/// one transaction: TwoInstanceIngestTests). A contact merged away keeps its row and its keys, outside the promise.
/// </summary>
public sealed class StoreConstraintsTests
{
    [Fact]
    public async Task SecondCopyOfAProviderMessage_SecondOwnerOfAPhoneOrEmail_SecondIdentity_AreRefusedByTheStore()
    {
        await using var host = await GatewayHost.StartAsync();
        using var http = host.CreateClient();
        var first = await RoutingTests.Inbound(http, "c-1", "+15554440001", "hello", phone: "+15554440001");
        var conversationId = first.GetProperty("conversationId").GetGuid();
        var now = DateTimeOffset.UtcNow;

        if (GatewayHost.DefaultStore == StoreProvider.PostgreSql)
        {
            await AssertRefusedAsync(host, db => db.Messages.Add(new Message
            {
                Id = Guid.NewGuid(), ConversationId = conversationId, InstanceId = "probe", Direction = MessageDirection.In, Text = "copy",
                Status = MessageStatus.Received, ProviderMessageId = "c-1", ExternalId = "+15554440001", CreatedAt = now,
            }));
        }
        await AssertRefusedAsync(host, db => db.Contacts.Add(new Contact { Id = Guid.NewGuid(), Phone = "+15554440001", CreatedAt = now }));
        await AssertRefusedAsync(host, db =>
        {
            var other = new Contact { Id = Guid.NewGuid(), CreatedAt = now };
            db.Contacts.Add(other);
            db.ChannelIdentities.Add(new ChannelIdentity { Id = Guid.NewGuid(), ContactId = other.Id, InstanceId = "probe", ExternalId = "+15554440001", CreatedAt = now });
        });

        await using (var db = host.CreateDbContext())
        {
            // Same provider id on another instance, or sent by the gateway: other messages.
            db.Messages.Add(new Message
            {
                Id = Guid.NewGuid(), ConversationId = conversationId, InstanceId = "webchat", Direction = MessageDirection.In, Text = "other instance",
                Status = MessageStatus.Received, ProviderMessageId = "c-1", ExternalId = "v", CreatedAt = now,
            });
            db.Messages.Add(new Message
            {
                Id = Guid.NewGuid(), ConversationId = conversationId, InstanceId = "probe", Direction = MessageDirection.Out, Text = "a reply",
                Status = MessageStatus.Sent, ProviderMessageId = "c-1", ExternalId = "+15554440001", CreatedAt = now,
            });
            // Two emails differ; a merged-away contact keeps its phone outside the promise.
            db.Contacts.Add(new Contact { Id = Guid.NewGuid(), Email = "a@shop.example", CreatedAt = now });
            var owner = await db.Contacts.SingleAsync(c => c.Phone == "+15554440001");
            db.Contacts.Add(new Contact { Id = Guid.NewGuid(), Phone = "+15554440001", MergedIntoId = owner.Id, CreatedAt = now });
            await db.SaveChangesAsync();
        }

        await AssertRefusedAsync(host, db => db.Contacts.Add(new Contact { Id = Guid.NewGuid(), Email = "a@shop.example", CreatedAt = now }));
        await using (var check = host.CreateDbContext())
        {
            Assert.Equal(1, await check.Messages.CountAsync(m => m.ProviderMessageId == "c-1" && m.InstanceId == "probe" && m.Direction == MessageDirection.In));
            Assert.Equal(1, await check.Contacts.CountAsync(c => c.Phone == "+15554440001" && c.MergedIntoId == null));
        }
    }

    private static async Task AssertRefusedAsync(GatewayHost host, Action<GatewayDbContext> write)
    {
        await using var db = host.CreateDbContext();
        write(db);
        await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
    }
}
