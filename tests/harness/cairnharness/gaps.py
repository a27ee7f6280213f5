"""Where moto behaves unlike AWS in a way cairn's tests depend on, and the fix.

Each gap is filled through StrictProxy.intercept, after the request passed the
validator, by doing what AWS does around moto's answer. Listed in
docs/testing.md.
"""
from . import backupgaps, ecsgaps, efsdata, efsgaps, elbhealth


def _delete_nat_gateway(emu):
    """AWS releases a NAT gateway's Elastic IP association when it is deleted;
    moto keeps it, so the address cannot be used again (Resource.AlreadyAssociated)."""
    def handler(call):
        ec2 = emu.boto3_client("ec2")
        nat_id = call.params.get("NatGatewayId")
        found = ec2.describe_nat_gateways(NatGatewayIds=[nat_id]).get("NatGateways", [])
        answer = call.forward()
        if answer[0] != 200:
            return answer
        allocs = {a.get("AllocationId") for nat in found for a in nat.get("NatGatewayAddresses", [])}
        # Addresses already released are simply gone: look at what is there.
        for addr in ec2.describe_addresses()["Addresses"]:
            if addr.get("AllocationId") in allocs and addr.get("AssociationId"):
                ec2.disassociate_address(AssociationId=addr["AssociationId"])
        return answer
    return handler


GAPS = {
    ("ec2", "DeleteNatGateway"): _delete_nat_gateway,
}
# Operations moto lacks altogether, emulated by the harness per service.
GAPS.update(ecsgaps.GAPS)
GAPS.update(efsgaps.GAPS)
GAPS.update(backupgaps.GAPS)
GAPS.update(efsdata.GAPS)
GAPS.update(elbhealth.GAPS)


def install(emu):
    """Register every gap's handler on a started Emulator."""
    for (service, operation), make in GAPS.items():
        emu.intercept(service, operation, make(emu))
