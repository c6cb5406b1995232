using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ChatGateway.Gateway.Store.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class OrdersAndFollowUps : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "ClosedByAgentId",
                table: "Conversations",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "SurveyRatedAt",
                table: "Conversations",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "SurveyRating",
                table: "Conversations",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "MarketingOptOutAt",
                table: "Contacts",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "OptOutAllAt",
                table: "Contacts",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "OrderStage",
                table: "Contacts",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<long>(
                name: "OptedOutAt",
                table: "ChannelIdentities",
                type: "bigint",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "FollowUps",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    Kind = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Rule = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    Step = table.Column<int>(type: "integer", nullable: false),
                    ContactId = table.Column<Guid>(type: "uuid", nullable: false),
                    OrderId = table.Column<Guid>(type: "uuid", nullable: true),
                    ConversationId = table.Column<Guid>(type: "uuid", nullable: true),
                    AgentId = table.Column<Guid>(type: "uuid", nullable: true),
                    DueAt = table.Column<long>(type: "bigint", nullable: false),
                    Channel = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    Status = table.Column<int>(type: "integer", nullable: false),
                    Reason = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    Note = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    UpdatedAt = table.Column<long>(type: "bigint", nullable: true),
                    DoneAt = table.Column<long>(type: "bigint", nullable: true),
                    ChangedByAgentId = table.Column<Guid>(type: "uuid", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_FollowUps", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "OrderEvents",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    SourceInstanceId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    EventId = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    OrderId = table.Column<Guid>(type: "uuid", nullable: false),
                    Type = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    OccurredAt = table.Column<long>(type: "bigint", nullable: true),
                    ReceivedAt = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_OrderEvents", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Orders",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    SourceInstanceId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    ExternalOrderId = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    ContactId = table.Column<Guid>(type: "uuid", nullable: false),
                    State = table.Column<int>(type: "integer", nullable: false),
                    Amount = table.Column<decimal>(type: "numeric(18,2)", precision: 18, scale: 2, nullable: true),
                    Currency = table.Column<string>(type: "character varying(3)", maxLength: 3, nullable: true),
                    Items = table.Column<string>(type: "character varying(100000)", maxLength: 100000, nullable: false),
                    BuyerName = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    BuyerPhone = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    BuyerEmail = table.Column<string>(type: "character varying(320)", maxLength: 320, nullable: true),
                    BuyerInstanceId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    BuyerExternalId = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    Carrier = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    TrackingNumber = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    Reason = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    PlacedAt = table.Column<long>(type: "bigint", nullable: true),
                    PaidAt = table.Column<long>(type: "bigint", nullable: true),
                    ShippedAt = table.Column<long>(type: "bigint", nullable: true),
                    DeliveredAt = table.Column<long>(type: "bigint", nullable: true),
                    RefundRequestedAt = table.Column<long>(type: "bigint", nullable: true),
                    RefundedAt = table.Column<long>(type: "bigint", nullable: true),
                    CancelledAt = table.Column<long>(type: "bigint", nullable: true),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    UpdatedAt = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Orders", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_FollowUps_ContactId_DueAt",
                table: "FollowUps",
                columns: new[] { "ContactId", "DueAt" });

            migrationBuilder.CreateIndex(
                name: "IX_FollowUps_ConversationId",
                table: "FollowUps",
                column: "ConversationId");

            migrationBuilder.CreateIndex(
                name: "IX_FollowUps_DueAt",
                table: "FollowUps",
                column: "DueAt",
                filter: "\"Status\" = 0");

            migrationBuilder.CreateIndex(
                name: "IX_FollowUps_OrderId",
                table: "FollowUps",
                column: "OrderId");

            migrationBuilder.CreateIndex(
                name: "IX_OrderEvents_OrderId",
                table: "OrderEvents",
                column: "OrderId");

            migrationBuilder.CreateIndex(
                name: "IX_OrderEvents_SourceInstanceId_EventId",
                table: "OrderEvents",
                columns: new[] { "SourceInstanceId", "EventId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Orders_ContactId",
                table: "Orders",
                column: "ContactId");

            migrationBuilder.CreateIndex(
                name: "IX_Orders_SourceInstanceId_ExternalOrderId",
                table: "Orders",
                columns: new[] { "SourceInstanceId", "ExternalOrderId" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "FollowUps");

            migrationBuilder.DropTable(
                name: "OrderEvents");

            migrationBuilder.DropTable(
                name: "Orders");

            migrationBuilder.DropColumn(
                name: "ClosedByAgentId",
                table: "Conversations");

            migrationBuilder.DropColumn(
                name: "SurveyRatedAt",
                table: "Conversations");

            migrationBuilder.DropColumn(
                name: "SurveyRating",
                table: "Conversations");

            migrationBuilder.DropColumn(
                name: "MarketingOptOutAt",
                table: "Contacts");

            migrationBuilder.DropColumn(
                name: "OptOutAllAt",
                table: "Contacts");

            migrationBuilder.DropColumn(
                name: "OrderStage",
                table: "Contacts");

            migrationBuilder.DropColumn(
                name: "OptedOutAt",
                table: "ChannelIdentities");
        }
    }
}
