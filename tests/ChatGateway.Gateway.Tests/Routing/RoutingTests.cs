using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using ChatGateway.Gateway.Agents;
using ChatGateway.Gateway.Redis;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Gateway.Tests.Routing;

/// <summary>Routing by skill and priority with capacity limits, on Garnet and on a real Redis.</summary>
public sealed class RoutingTests
{
    [Theory]
    [InlineData(RedisBackend.Garnet)]
    [InlineData(RedisBackend.Redis)]
    public async Task Classify_KeywordsInChineseAndEnglish_RouteToTheSkillsAgents(RedisBackend backend)
    {
        await using var host = await GatewayHost.StartAsync(backend);
        await using var alice = await host.SignInAsync("alice"); // pre-sale, vip
        await using var bob = await host.SignInAsync("bob");     // after-sale, complaints, pre-sale
        await using var carol = await host.SignInAsync("carol"); // logistics, after-sale
        using var http = host.CreateClient();

        await Inbound(http, "p1", "+10000000001", "我要退款, the zipper is broken");
        await Inbound(http, "p2", "+10000000002", "Where is my parcel? 快递三天没动");
        await Inbound(http, "p3", "+10000000003", "I want to file a complaint");

        var conversations = await WaitForAssignedAsync(host, 3);
        var bySkill = conversations.ToDictionary(c => c.Skill);
        Assert.Equal(["after-sale", "complaints", "logistics"], bySkill.Keys.Order());
        Assert.Equal(carol.Agent.Id, bySkill["logistics"].AssignedAgentId);
        Assert.Equal(bob.Agent.Id, bySkill["complaints"].AssignedAgentId);
        Assert.Contains(bySkill["after-sale"].AssignedAgentId, new Guid?[] { bob.Agent.Id, carol.Agent.Id });
        Assert.Contains("refund-return", bySkill["after-sale"].RoutingReason);
        Assert.Contains("complaint", bySkill["complaints"].RoutingReason);

        // Each agent was told live about exactly the conversations they got.
        foreach (var (session, count) in new[] { (bob, conversations.Count(c => c.AssignedAgentId == bob.Agent.Id)), (carol, conversations.Count(c => c.AssignedAgentId == carol.Agent.Id)) })
        {
            for (var i = 0; i < count; i++)
            {
                var live = await session.NextAssignedAsync();
                Assert.Equal(session.Agent.Id, live.AssignedAgentId);
            }
        }

        Assert.True(await alice.NothingAssignedWithinAsync(TimeSpan.FromMilliseconds(300)), "alice has none of these skills");
    }

    [Fact]
    public void Classify_EnglishKeywords_MatchWholeWordsOnly()
    {
        var classifier = new SkillClassifier(new RoutingOptions
        {
            Skills = ["pre-sale", "after-sale"],
            DefaultSkill = "pre-sale",
            Rules = [new KeywordRule { Name = "refund", Skill = "after-sale", Keywords = ["return", "退货"] }],
        });

        Assert.Equal("after-sale", classifier.Classify("Can I RETURN it?", isVip: false).Skill);
        Assert.Equal("pre-sale", classifier.Classify("Is the returnable box included?", isVip: false).Skill);
        Assert.Equal("after-sale", classifier.Classify("我想退货", isVip: false).Skill);
        Assert.Equal(9, classifier.Classify("hi", isVip: true).Priority);
    }

    [Fact]
    public void Classify_ChannelRules_ApplyOnlyToTheirChannels()
    {
        var classifier = new SkillClassifier(new RoutingOptions
        {
            Skills = ["pre-sale", "after-sale", "logistics"],
            DefaultSkill = "pre-sale",
            Rules =
            [
                new KeywordRule { Name = "sms-refund", Skill = "after-sale", Keywords = ["refund"], Channels = ["sms"] },
                new KeywordRule { Name = "marketplace", Skill = "logistics", Channels = ["marketplace"] },
            ],
        });

        Assert.Equal("after-sale", classifier.Classify("I want a refund", isVip: false, "sms").Skill);
        Assert.Equal("pre-sale", classifier.Classify("I want a refund", isVip: false, "webchat").Skill);
        var marketplace = classifier.Classify("hello", isVip: false, "marketplace");
        Assert.Equal("logistics", marketplace.Skill);
        Assert.Equal("rule 'marketplace' matched on channel 'marketplace'", marketplace.Reason);
    }

    [Theory]
    [InlineData("这件衣服有M码吗?", "zh")]
    [InlineData("Do you have it in M?", "en")]
    [InlineData("このシャツはMサイズありますか", "ja")]
    [InlineData("M 사이즈 있나요?", "ko")]
    [InlineData("Есть размер M?", "ru")]
    [InlineData("12345 ?!", null)]
    public void Classify_TellsTheLanguageFromTheScript(string text, string? language) =>
        Assert.Equal(language, new SkillClassifier(new RoutingOptions { Skills = ["pre-sale"] }).Classify(text, isVip: false).Language);

    [Fact]
    public void Classify_LanguageRules_ApplyOnlyToTheirLanguage_AndTagRulesAddUp()
    {
        var classifier = new SkillClassifier(new RoutingOptions
        {
            Skills = ["pre-sale", "after-sale"],
            DefaultSkill = "pre-sale",
            Rules =
            [
                new KeywordRule { Name = "english-refund", Skill = "after-sale-en", Keywords = ["refund"], Languages = ["en"] },
                new KeywordRule { Name = "refund", Skill = "after-sale", Keywords = ["refund", "退款"] },
            ],
            Tags =
            [
                new TagRule { Tag = "Urgent", Keywords = ["urgent", "asap", "急"] },
                new TagRule { Tag = "gift", Keywords = ["gift", "礼物"] },
            ],
        });

        var english = classifier.Classify("I want a refund", isVip: false);
        Assert.Equal(("after-sale-en", "en"), (english.Skill, english.Language));
        Assert.Equal("rule 'english-refund' matched 'refund' in language 'en'", english.Reason);
        Assert.Equal("after-sale", classifier.Classify("我要退款, refund", isVip: false).Skill);

        var tags = classifier.AddTags("", "It's a gift, please hurry");
        Assert.Equal("gift", tags);
        tags = classifier.AddTags(tags, "很急! ASAP");
        Assert.Equal("gift,urgent", tags);
        Assert.Equal("gift,urgent", classifier.AddTags(tags, "urgent, a gift"));
        Assert.Equal("", classifier.AddTags("", "urgently gifted")); // English keywords match whole words only
    }

    [Theory]
    [InlineData(RedisBackend.Garnet)]
    [InlineData(RedisBackend.Redis)]
    public async Task Assign_VipWaitingBehindOthers_IsServedFirst(RedisBackend backend)
    {
        await using var host = await GatewayHost.StartAsync(backend, settings: new Dictionary<string, string?> { ["Routing:VipContacts:0"] = "+19990000000" });
        using var http = host.CreateClient();
        await Inbound(http, "n1", "+10000000001", "question one");
        await Inbound(http, "n2", "+10000000002", "question two");
        await Inbound(http, "vip", "+19990000000", "VIP question");

        await using var alice = await host.SignInAsync("alice");
        var served = new[] { await alice.NextAssignedAsync(), await alice.NextAssignedAsync(), await alice.NextAssignedAsync() };

        Assert.Equal(["VIP question", "question one", "question two"], served.Select(c => c.Messages![0].Text));
        Assert.True(served[0].Contact.IsVip);
        Assert.Equal(9, served[0].Priority);
    }

    [Theory]
    [InlineData(RedisBackend.Garnet)]
    [InlineData(RedisBackend.Redis)]
    public async Task Assign_ManyConversationsAndAgentsConcurrently_EachIsAssignedExactlyOnceWithinCapacity(RedisBackend backend)
    {
        const int agents = 6, capacity = 4, conversations = 80;
        var settings = new Dictionary<string, string?>();
        var hash = PasswordHasher.Hash(GatewayHost.DemoPassword);
        for (var i = 0; i < agents; i++)
        {
            var n = 3 + i; // after the three demo agents
            settings[$"Agents:Seed:{n}:UserName"] = $"load{i}";
            settings[$"Agents:Seed:{n}:PasswordHash"] = hash;
            settings[$"Agents:Seed:{n}:Skills:0"] = "pre-sale";
            settings[$"Agents:Seed:{n}:MaxConcurrent"] = capacity.ToString();
        }

        await using var host = await GatewayHost.StartAsync(backend, settings: settings);
        var router = host.Services.GetRequiredService<ConversationRouter>();
        List<Agent> loadAgents;
        await using (var db = host.CreateDbContext())
        {
            loadAgents = await db.Agents.Where(a => a.UserName.StartsWith("load")).ToListAsync();
        }

        // Conversations arrive while agents come online, go offline and come back, all at once.
        using var http = host.CreateClient();
        var arrivals = Enumerable.Range(0, conversations).Select(i => Inbound(http, $"c{i}", $"+1555{i:D7}", $"question {i}"));
        var presence = loadAgents.Select(async a =>
        {
            await router.SetPresenceAsync(a, "online");
            await router.SetPresenceAsync(a, "away");
            await router.SetPresenceAsync(a, "online");
        });
        await Task.WhenAll(arrivals.Concat(presence));

        await AssertRoutingInvariantsAsync(host, loadAgents, capacity, expectedAssigned: agents * capacity, conversations);

        // Closing conversations concurrently frees capacity; the backlog drains, still without double assignment.
        var service = host.Services.GetRequiredService<ChatGateway.Gateway.Conversations.ConversationService>();
        for (var round = 0; round < 3; round++)
        {
            List<(Guid Id, Guid AgentId)> open;
            await using (var db = host.CreateDbContext())
            {
                open = (await db.Conversations.Where(c => c.Status == ConversationStatus.Assigned).Select(c => new { c.Id, c.AssignedAgentId }).ToListAsync())
                    .Select(c => (c.Id, c.AssignedAgentId!.Value)).ToList();
            }

            await Task.WhenAll(open.Select(c => service.CloseAsync(c.Id, loadAgents.Single(a => a.Id == c.AgentId), CancellationToken.None)));
        }

        await AssertRoutingInvariantsAsync(host, loadAgents, capacity, expectedAssigned: conversations - 3 * agents * capacity, conversations);
    }

    private static async Task AssertRoutingInvariantsAsync(GatewayHost host, List<Agent> agents, int capacity, int expectedAssigned, int total)
    {
        var store = host.Services.GetRequiredService<RedisRoutingStore>();
        await using var db = host.CreateDbContext();
        var all = await db.Conversations.ToListAsync();
        Assert.Equal(total, all.Count); // none lost, none duplicated
        var assigned = all.Where(c => c.Status == ConversationStatus.Assigned).ToList();
        Assert.Equal(expectedAssigned, assigned.Count);
        Assert.All(all.Where(c => c.Status == ConversationStatus.Waiting), c => Assert.Null(c.AssignedAgentId));

        var redisOwners = new ConcurrentDictionary<Guid, Guid>();
        foreach (var agent in agents)
        {
            var load = await store.GetLoadAsync(agent.Id);
            Assert.InRange(load, 0, capacity);
            Assert.Equal(assigned.Count(c => c.AssignedAgentId == agent.Id), load);
        }

        foreach (var c in assigned)
        {
            Assert.Equal(c.AssignedAgentId, await store.GetAssignedAgentAsync(c.Id)); // Redis and the store agree
        }

        var waiting = all.Count(c => c.Status == ConversationStatus.Waiting);
        Assert.Equal(waiting, await store.GetWaitingCountAsync("pre-sale"));
    }

    private static async Task<List<Conversation>> WaitForAssignedAsync(GatewayHost host, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            await using var db = host.CreateDbContext();
            var assigned = await db.Conversations.Where(c => c.Status == ConversationStatus.Assigned).ToListAsync();
            if (assigned.Count >= count || DateTime.UtcNow > deadline)
            {
                Assert.Equal(count, assigned.Count);
                return assigned;
            }

            await Task.Delay(50);
        }
    }

    /// <summary>A message through the probe channel, from <paramref name="from"/> (whose phone it is, unless <paramref name="phone"/> says another).</summary>
    internal static async Task<JsonElement> Inbound(HttpClient http, string id, string from, string text, string? phone = null)
    {
        var response = await http.PostAsync("/channels/probe/inbound", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["id"] = id, ["from"] = from, ["phone"] = phone ?? from, ["text"] = text,
        }));
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
