using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace ChatGateway.Gateway.Agents;

/// <summary>
/// The agent desk's live connection. Server-to-client only: conversationAssigned, conversationRemoved,
/// messageAdded, messageStatusChanged, conversationClosed. Agents act through the REST API. The hub
/// counts each agent's open desks, so an agent whose desks all drop is noticed.
/// </summary>
[Authorize]
internal sealed class AgentHub(AgentConnectionTracker tracker, DeskConnections desks) : Hub
{
    public override async Task OnConnectedAsync()
    {
        // Closed when its session ends (sign-out, password change, disabled agent), not only refused at the next connect.
        desks.Add(Context);
        await tracker.ConnectedAsync(AgentId);
        await base.OnConnectedAsync();
    }

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        desks.Remove(Context);
        await tracker.DisconnectedAsync(AgentId);
        await base.OnDisconnectedAsync(exception);
    }

    private Guid AgentId => Guid.Parse(Context.User!.FindFirstValue(ClaimTypes.NameIdentifier)!);
}
