using System.Net;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Testing;
using Microsoft.EntityFrameworkCore;
using StackExchange.Redis;

namespace ChatGateway.Gateway.Tests.Store;

/// <summary>
/// Two gateway processes on one store and one redis-server, taking a burst of signed SMS webhooks in which every
/// message is delivered to both instances at once (a provider's retry landing on the other instance), while one of
/// them is killed with SIGKILL part-way. What a shop must find afterwards, on SQLite and on PostgreSQL alike: every
/// message any instance acknowledged stored exactly once, one contact per phone number however many messages of a
/// new customer raced, one identity per sender, at most one open conversation per customer, each held by at most
/// one agent, and none waiting without being queued.
/// </summary>
public sealed class TwoInstanceIngestTests
{
    private const string PublicBaseUrl = "https://shop.example.com";
    private const int Customers = 30;
    private const int MessagesEach = 3;

    private static readonly string PluginsJson = $$"""
        { "plugins": [ { "id": "sms-main", "plugin": "Sms", "enabled": true, "settings": { "AccountSid": "{{GatewayHost.SmsAccountSid}}", "FromNumber": "+15005550006", "PublicBaseUrl": "{{PublicBaseUrl}}", "ApiBaseAddress": "http://127.0.0.1:9/" } } ] }
        """;

    private static readonly Dictionary<string, string> Settings = new()
    {
        ["Channels__sms-main__AuthToken"] = GatewayHost.SmsAuthToken,
        ["Routing__RecoveryInterval"] = "00:00:02",
    };

    [Theory]
    [InlineData(StoreProvider.Sqlite)]
    [InlineData(StoreProvider.PostgreSql)]
    public async Task BurstDeliveredToBothInstances_OneKilledMidBurst_EveryAcknowledgedMessageStoredOnce_NoDuplicateContacts(StoreProvider store)
    {
        OncePerRun.Require();
        var cluster = GatewayProcess.Cluster.Create(PluginsJson, store);
        var a = await GatewayProcess.StartAsync(cluster, Settings);
        await using var b = await GatewayProcess.StartAsync(cluster, Settings);
        using var httpA = a.CreateClient();
        using var httpB = b.CreateClient();
        await using var alice = await AgentSession.StartAsync(b.BaseAddress, "alice", GatewayHost.DemoPassword, online: true);

        var acknowledged = new HashSet<string>();
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task PostAsync(HttpClient http, string sid, string phone, string body)
        {
            try
            {
                using var response = await http.SendAsync(Signed(sid, phone, body));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    lock (acknowledged)
                    {
                        acknowledged.Add(sid);
                        if (acknowledged.Count == 25)
                        {
                            enough.TrySetResult();
                        }
                    }
                }
            }
            catch (HttpRequestException)
            {
                // the instance died before answering: the provider retries
            }
        }

        // Every customer's messages at once (a new customer's first messages race each other), each to both instances.
        var burst = new List<Task>();
        for (var m = 0; m < MessagesEach; m++)
        {
            for (var c = 0; c < Customers; c++)
            {
                var (sid, phone, body) = Message(c, m);
                burst.Add(PostAsync(httpA, sid, phone, body));
                burst.Add(PostAsync(httpB, sid, phone, body));
            }
        }

        await enough.Task.WaitAsync(TimeSpan.FromSeconds(60));
        a.Kill();
        await Task.WhenAll(burst);
        await a.DisposeAsync();

        // The provider retries, at the surviving instance, whatever no instance acknowledged.
        var all = Enumerable.Range(0, Customers).SelectMany(c => Enumerable.Range(0, MessagesEach).Select(m => Message(c, m))).ToList();
        var retried = all.Where(x => !acknowledged.Contains(x.Sid)).ToList();
        foreach (var (sid, phone, body) in retried)
        {
            await PostAsync(httpB, sid, phone, body);
        }

        Assert.Equal(all.Count, acknowledged.Count);
        await using (var db = cluster.CreateDbContext())
        {
            var inbound = await db.Messages.Where(x => x.Direction == MessageDirection.In).Select(x => x.ProviderMessageId).ToListAsync();
            Assert.Equal(all.Count, inbound.Count);
            Assert.Equal(all.Select(x => x.Sid).Order(), inbound.Order());

            var contacts = await db.Contacts.Where(x => x.MergedIntoId == null).ToListAsync();
            Assert.Equal(Customers, contacts.Count);
            Assert.Equal(Customers, contacts.Select(x => x.Phone).Distinct().Count());
            Assert.Equal(Customers, await db.ChannelIdentities.CountAsync());

            var conversations = await db.Conversations.ToListAsync();
            Assert.All(conversations.GroupBy(x => x.ContactId), g => Assert.Single(g, x => x.Status != ConversationStatus.Closed));
            Assert.Equal(Customers, conversations.Count);
        }

        // Nothing waits forever: what the killed instance had not handed to routing is queued by the survivor's recovery,
        // and alice (capacity 3) holds at most three.
        await using var redis = await ConnectionMultiplexer.ConnectAsync(cluster.Redis);
        var r = redis.GetDatabase();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            await using var db = cluster.CreateDbContext();
            var conversations = await db.Conversations.ToListAsync();
            var waiting = conversations.Where(x => x.Status == ConversationStatus.Waiting).Select(x => x.Id).ToHashSet();
            var queued = new HashSet<Guid>();
            foreach (var skill in conversations.Select(x => x.Skill).Distinct())
            {
                queued.UnionWith((await r.SortedSetRangeByRankAsync($"{cluster.KeyPrefix}q:{skill}")).Select(v => Guid.ParseExact(v.ToString(), "N")));
            }

            var assigned = conversations.Where(x => x.Status == ConversationStatus.Assigned).ToList();
            if ((!waiting.SetEquals(queued) || assigned.Count != 3) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
                continue;
            }

            Assert.True(waiting.SetEquals(queued), $"{waiting.Count} waiting in the store, {queued.Count} queued in Redis");
            Assert.Equal(3, assigned.Count);
            Assert.All(assigned, x => Assert.NotNull(x.AssignedAgentId));
            break;
        }
    }

    private static (string Sid, string Phone, string Body) Message(int customer, int index) =>
        ($"SM{customer:D4}x{index:D2}{new string('0', 26)}", $"+1555300{customer:D4}", $"question {index} from customer {customer}");

    private static HttpRequestMessage Signed(string sid, string phone, string body) =>
        TwilioSignature.CreateSignedRequest(GatewayHost.SmsAuthToken, PublicBaseUrl, "/channels/sms-main/messages", new Dictionary<string, string>
        {
            ["MessageSid"] = sid, ["SmsSid"] = sid, ["AccountSid"] = GatewayHost.SmsAccountSid, ["From"] = phone, ["To"] = "+15005550006",
            ["Body"] = body, ["NumMedia"] = "0", ["NumSegments"] = "1", ["FromCountry"] = "US",
        });
}
