using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Tests.Identity;

/// <summary>Gateway processes sharing a store derive the same channel keys: a visitor's token works on any of them.</summary>
public sealed class SharedKeyTests
{
    [Fact]
    public async Task VisitorTokenFromOneInstance_IsAcceptedByAnother_AndTheStoreHoldsOneMasterSecret()
    {
        var cluster = GatewayProcess.Cluster.Create("""{ "plugins": [ { "id": "webchat", "plugin": "WebChat", "settings": {} } ] }""");
        await using var a = await GatewayProcess.StartAsync(cluster);
        await using var b = await GatewayProcess.StartAsync(cluster);
        using var httpA = a.CreateClient();
        using var httpB = b.CreateClient();

        var token = (await (await httpA.PostAsync("/channels/webchat/visitors", null)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("visitorToken").GetString()!;
        var request = new HttpRequestMessage(HttpMethod.Post, "/channels/webchat/messages") { Content = JsonContent.Create(new { clientMessageId = "c1", text = "hello at B" }) };
        request.Headers.Add("X-Visitor-Token", token);
        using var atB = await httpB.SendAsync(request);

        Assert.Equal(HttpStatusCode.Accepted, atB.StatusCode);
        await using var db = cluster.CreateDbContext();
        Assert.Equal(1, await db.GatewayKeys.CountAsync(k => k.Name == "master"));
    }
}
