#include "depthguard/guard/guard_options.h"

namespace depthguard {

const ChoiceTable<GuardPolicy>& guard_policy_choices() {
  static const ChoiceTable<GuardPolicy> table{
      {"halt", GuardPolicy::Halt}, {"skip", GuardPolicy::Skip}, {"rollback", GuardPolicy::Rollback}};
  return table;
}

const ChoiceTable<GuardStage>& guard_stage_choices() {
  static const ChoiceTable<GuardStage> table{{"input", GuardStage::Input},
                                             {"loss", GuardStage::Loss},
                                             {"gradient", GuardStage::Gradient},
                                             {"weight", GuardStage::Weight}};
  return table;
}

const ChoiceTable<InjectSite>& inject_site_choices() {
  static const ChoiceTable<InjectSite> table{{"none", InjectSite::None},
                                             {"image", InjectSite::Image},
                                             {"depth", InjectSite::Depth},
                                             {"gradient", InjectSite::Gradient},
                                             {"weight", InjectSite::Weight}};
  return table;
}

const ChoiceTable<InjectValue>& inject_value_choices() {
  static const ChoiceTable<InjectValue> table{{"nan", InjectValue::Nan}, {"inf", InjectValue::Inf}};
  return table;
}

}  // namespace depthguard
