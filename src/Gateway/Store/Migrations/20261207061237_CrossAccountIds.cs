using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ChatGateway.Gateway.Store.Migrations
{
    /// <inheritdoc />
    public partial class CrossAccountIds : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "CrossAccountKey",
                table: "ChannelIdentities",
                type: "TEXT",
                maxLength: 240,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_ChannelIdentities_CrossAccountKey",
                table: "ChannelIdentities",
                column: "CrossAccountKey",
                filter: "\"CrossAccountKey\" IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_ChannelIdentities_CrossAccountKey",
                table: "ChannelIdentities");

            migrationBuilder.DropColumn(
                name: "CrossAccountKey",
                table: "ChannelIdentities");
        }
    }
}
